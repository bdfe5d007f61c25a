// Between two copies of the UMD bundle: remembers what the first copy defined.
window.firstMessagingCalls = window.MessagingCalls;
