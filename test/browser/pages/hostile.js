// A hostile page: before the SDK loads, it breaks helpers a library might
// rely on. Each replacement throws, so any use of it is a page error.
(function () {
  'use strict';
  var used = [];
  window.hostileUses = used;

  function thrower(name) {
    return function () {
      used.push(name);
      throw new Error('hostile page: ' + name + ' must not be used');
    };
  }

  var methods = [
    'map',
    'filter',
    'includes',
    'some',
    'every',
    'find',
    'findIndex',
    'indexOf',
    'join',
    'flat',
    'forEach',
    'reduce',
    'slice',
    'splice',
  ];
  for (var i = 0; i < methods.length; i++) {
    var name = methods[i];
    Array.prototype[name] = thrower('Array.prototype.' + name);
  }
  Array.from = thrower('Array.from');
  window.addEventListener = thrower('window.addEventListener');
})();
