/**
 * The UI's styles, adopted by its shadow root (no <style> element, so a
 * strict `style-src` blocks nothing). `!important` on the host wins over
 * any page rule (inside a shadow tree, important declarations beat the
 * outer page's); the inside is out of the page's reach. Themable through
 * the custom properties below and `::part`. One rule a line; the lines are
 * joined without a separator.
 */
export const CSS =
  ':host{all:initial!important;display:block!important;position:fixed!important;inset:0!important;pointer-events:none!important;z-index:2147483000!important;visibility:visible!important;opacity:1!important}' +
  '*{box-sizing:border-box}' +
  '[hidden]{display:none!important}' +
  '.w,.d{--bg:var(--mc-background,#fff);--fg:var(--mc-foreground,#1c1c1e);--mu:var(--mc-muted,#5c5c66);--ac:var(--mc-accent,#0b5cad);--ok:var(--mc-accept,#117a37);--no:var(--mc-danger,#b3261e);--r:var(--mc-radius,14px);font:15px/1.4 var(--mc-font,system-ui,sans-serif);color:var(--fg);background:var(--bg);pointer-events:auto;position:absolute;inset-inline-end:16px;bottom:16px;width:min(360px,calc(100vw - 32px));border-radius:var(--r);box-shadow:0 8px 32px #0005;overflow:hidden;display:flex;flex-flow:column;animation:in .2s ease-out}' +
  '@keyframes in{from{opacity:0;transform:translateY(12px)}}' +
  '.d{padding:18px;gap:12px;bottom:auto;top:16px}' +
  '.row,.bar{display:flex;gap:8px;align-items:center}' +
  '.row{flex-wrap:wrap}' +
  '.row>button,.tx{flex:1}.tx{min-width:0}' +
  'button,select{font:inherit;color:inherit;border:0;white-space:nowrap;border-radius:999px;padding:9px 14px;min-height:40px;cursor:pointer;background:color-mix(in srgb,var(--fg) 10%,var(--bg))}' +
  'select{border-radius:8px;width:100%;margin-top:4px}' +
  ':focus-visible{outline:3px solid var(--ac);outline-offset:2px}' +
  '[aria-pressed=true]{background:var(--fg);color:var(--bg)}' +
  '.ok,.no{color:#fff;background:var(--ok)}.no{background:var(--no)}' +
  '.av{width:56px;height:56px;border-radius:50%;background:var(--ac);color:var(--bg);display:grid;place-items:center;font-size:22px;font-weight:600;flex:none;overflow:hidden}' +
  '.av img,.st video{width:100%;height:100%;object-fit:cover}' +
  'p,.t{margin:0}.t{font-weight:600}' +
  '.s,label{color:var(--mu);font-size:13px}' +
  '.bar{padding:8px 8px 8px 14px}' +
  '.bar .t{flex:1;overflow:hidden;text-overflow:ellipsis;cursor:move;touch-action:none;background:none;border-radius:6px;padding:4px;min-height:0;text-align:start}' +
  '.st{position:relative;aspect-ratio:4/3;display:grid;place-items:center}' +
  '.st,.st video{background:#111}' +
  '.st .av{width:96px;height:96px;font-size:36px;position:absolute}' +
  '.me{position:absolute!important;width:28%!important;height:auto!important;aspect-ratio:3/4;right:10px;bottom:10px;border-radius:10px;box-shadow:0 2px 8px #0008}' +
  '.mir{transform:scaleX(-1)}.scr{aspect-ratio:16/9;width:40%!important}' +
  '.note{position:absolute;inset:10px 10px auto;color:#fff;background:#000a;border-radius:8px;padding:6px 10px;font-size:13px}' +
  '.c{padding:12px}' +
  '.m{padding:0 14px 14px}' +
  '.q{font-size:12px;color:var(--mu)}' +
  '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
  '.min>:not(.bar){display:none}' +
  '.menu{padding:0 14px 12px;display:grid;gap:8px}' +
  '.ask{padding:12px 14px 0;display:grid;gap:8px}' +
  '.sh{padding:6px 8px 6px 14px;background:var(--ac);color:var(--bg);font-weight:600}.sh span{flex:1}' +
  '@media (max-width:599px){.w{inset:0;width:auto;border-radius:0}.w:not(.min) .st{flex:1;aspect-ratio:auto}.w.min{inset:auto 8px 8px auto;width:auto;border-radius:var(--r)}.d{inset:8px 8px auto;width:auto}}' +
  '@media (prefers-color-scheme:dark){.w,.d{--bg:var(--mc-background,#1f1f23);--fg:var(--mc-foreground,#f2f2f5);--mu:var(--mc-muted,#b4b4bd);--ac:var(--mc-accent,#6cb2ff)}}' +
  '@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}';
