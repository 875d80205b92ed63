/* Tessera live chat widget: <script src="https://tessera.example.com/chat/widget.js" data-key="wk_…" async></script>
   No framework, no cookies: the visitor token lives in localStorage. Options (data-*): key (a
   tracking write key, required), title, color, email ("ask": offer the e-mail field before the
   first message; "require": insist; default: ask only when no agent is online). */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.TesseraChat) return;
  var key = script.getAttribute('data-key') || '';
  var base = new URL(script.src, location.href);
  var origin = base.origin;
  var title = script.getAttribute('data-title') || 'Chat with us';
  var color = script.getAttribute('data-color') || '#3b5bdb';
  var emailMode = script.getAttribute('data-email') || '';
  var store = 'tessera.chat.' + key.slice(0, 12);
  var state = { token: null, ws: null, online: true, email: '', open: false, shown: {}, lastAgent: '', readByAgent: '', retry: 0, pending: {} };

  var host = document.createElement('div');
  host.setAttribute('data-tessera-chat', '');
  var root = host.attachShadow({ mode: 'open' });
  root.innerHTML =
    '<style>' +
    ':host{all:initial}*{box-sizing:border-box;font:14px/1.4 system-ui,sans-serif}[hidden]{display:none!important}' +
    '.launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;padding:12px 18px;color:#fff;background:var(--c);cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}' +
    '.panel{position:fixed;right:20px;bottom:76px;z-index:2147483000;width:340px;max-width:calc(100vw - 40px);height:460px;max-height:calc(100vh - 100px);display:flex;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);overflow:hidden}' +
    'header{background:var(--c);color:#fff;padding:10px 14px}header h2{margin:0;font-size:15px;font-weight:600}header p{margin:2px 0 0;font-size:12px;opacity:.85}' +
    'ol{list-style:none;margin:0;padding:10px;flex:1;overflow-y:auto;background:#f6f7f9}' +
    'li{margin:6px 0;max-width:85%;padding:7px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}' +
    'li.visitor{margin-left:auto;background:var(--c);color:#fff}li.agent{background:#fff;border:1px solid #e2e4e8}' +
    'li small{display:block;font-size:11px;opacity:.7}li.sending{opacity:.6}.typing,.note{font-size:12px;color:#666;padding:0 12px;min-height:16px}' +
    'form{display:flex;gap:6px;padding:8px;border-top:1px solid #e2e4e8}input,textarea{flex:1;border:1px solid #ccd;border-radius:8px;padding:7px;resize:none}' +
    'button.send{border:0;border-radius:8px;padding:0 12px;color:#fff;background:var(--c);cursor:pointer}' +
    '</style>' +
    '<button class="launch" type="button" aria-label="Open chat" aria-expanded="false"></button>' +
    '<section class="panel" role="dialog" aria-label="Chat" hidden>' +
    '<header><h2></h2><p class="status" role="status"></p></header>' +
    '<ol role="log" aria-label="Conversation" aria-live="polite"></ol>' +
    '<div class="typing" aria-live="polite"></div>' +
    '<form class="email" hidden><input type="email" aria-label="Your e-mail" placeholder="Your e-mail (we reply there if you leave)" autocomplete="email"><button class="send" type="submit">Save</button></form>' +
    '<div class="note"></div>' +
    '<form class="compose"><textarea rows="2" aria-label="Message" placeholder="Type a message…"></textarea><button class="send" type="submit">Send</button></form>' +
    '</section>';
  root.host.style.setProperty('--c', color);
  var $ = function (s) { return root.querySelector(s); };
  var launch = $('.launch'), panel = $('.panel'), log = $('ol'), typingEl = $('.typing'), statusEl = $('.status'), note = $('.note');
  var emailForm = $('form.email'), emailInput = emailForm.querySelector('input');
  var compose = $('form.compose'), text = compose.querySelector('textarea');
  launch.textContent = title;
  $('h2').textContent = title;

  function save(t) { try { localStorage.setItem(store, t); } catch (e) { /* private mode: a new visitor next time */ } }
  function load() { try { return localStorage.getItem(store); } catch (e) { return null; } }
  function ajsId() { try { var v = localStorage.getItem('ajs_anonymous_id'); return v ? JSON.parse(v) : ''; } catch (e) { return ''; } }

  function setStatus() {
    statusEl.textContent = state.online ? 'We usually reply in a few minutes' : 'We are away: leave a message and your e-mail';
    var ask = emailMode === 'ask' || emailMode === 'require' || !state.online;
    emailForm.hidden = !!state.email || !ask;
    note.textContent = state.email ? 'We reply to ' + state.email + ' if you leave.' : '';
  }

  function render(m, clientId) {
    if (state.shown[m.id]) return;
    state.shown[m.id] = true;
    var li = clientId && state.pending[clientId];
    if (li) delete state.pending[clientId];
    else { li = document.createElement('li'); log.appendChild(li); }
    li.className = m.from;
    li.setAttribute('data-id', m.id);
    li.textContent = m.body;
    if (m.from === 'agent') {
      var who = document.createElement('small');
      who.textContent = m.author || 'Support';
      li.insertBefore(who, li.firstChild);
      state.lastAgent = m.id;
      typingEl.textContent = '';
    }
    log.scrollTop = log.scrollHeight;
    markRead();
  }

  function markRead() {
    if (state.open && state.lastAgent && document.visibilityState !== 'hidden') send({ type: 'read', upTo: state.lastAgent });
  }

  function send(o) {
    if (state.ws && state.ws.readyState === 1) { state.ws.send(JSON.stringify(o)); return true; }
    return false;
  }

  function session() {
    return fetch(origin + '/chat/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: key, token: load() || '', anonymousId: ajsId() }),
    }).then(function (r) {
      if (!r.ok) throw new Error('chat session: HTTP ' + r.status);
      return r.json();
    }).then(function (s) {
      state.token = s.token;
      state.online = s.online;
      save(s.token);
    });
  }

  function connect() {
    var ws = new WebSocket(origin.replace(/^http/, 'ws') + '/chat/ws?token=' + encodeURIComponent(state.token));
    state.ws = ws;
    ws.onmessage = function (ev) {
      var e = JSON.parse(ev.data);
      if (e.type === 'ready') {
        state.retry = 0;
        state.online = e.online !== false;
        state.email = e.email || '';
        (e.messages || []).forEach(function (m) { render(m); });
        setStatus();
        flushQueue();
      } else if (e.type === 'message') render(e.message, e.clientId);
      else if (e.type === 'typing') typingEl.textContent = e.typing ? 'Support is typing…' : '';
      else if (e.type === 'read') {
        state.readByAgent = e.readUpTo;
        var mine = log.querySelectorAll('li.visitor');
        if (mine.length) mine[mine.length - 1].setAttribute('data-read', '');
      } else if (e.type === 'email') { state.email = e.email; setStatus(); }
      else if (e.type === 'error') {
        note.textContent = e.error;
        if (e.clientId && state.pending[e.clientId]) state.pending[e.clientId].className = 'visitor failed';
      }
    };
    ws.onclose = function (ev) {
      state.ws = null;
      if (ev.code === 4401) { save(''); state.token = null; }
      var wait = Math.min(30000, 1000 * Math.pow(2, state.retry++));
      setTimeout(start, wait);
    };
  }

  var queue = [];
  function flushQueue() { while (queue.length && send(queue[0])) queue.shift(); }

  function start() {
    (state.token ? Promise.resolve() : session()).then(connect).catch(function () {
      setTimeout(start, Math.min(30000, 1000 * Math.pow(2, state.retry++)));
    });
  }

  launch.addEventListener('click', function () { toggle(!state.open); });
  function toggle(open) {
    state.open = open;
    panel.hidden = !open;
    launch.setAttribute('aria-expanded', String(open));
    launch.setAttribute('aria-label', open ? 'Close chat' : 'Open chat');
    if (open) { text.focus(); markRead(); }
  }

  var typingTimer = null, typingSent = false;
  text.addEventListener('input', function () {
    if (!typingSent) typingSent = send({ type: 'typing', typing: true });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingSent = false; send({ type: 'typing', typing: false }); }, 2000);
  });
  text.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); compose.requestSubmit(); }
  });
  compose.addEventListener('submit', function (e) {
    e.preventDefault();
    var body = text.value.trim();
    if (!body) return;
    if (emailMode === 'require' && !state.email) { note.textContent = 'Please leave your e-mail first.'; emailInput.focus(); return; }
    var id = 'c' + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
    var li = document.createElement('li');
    li.className = 'visitor sending';
    li.textContent = body;
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    state.pending[id] = li;
    text.value = '';
    clearTimeout(typingTimer);
    typingSent = false;
    queue.push({ type: 'message', body: body, clientId: id });
    flushQueue();
  });
  emailForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var v = emailInput.value.trim();
    if (v) queue.push({ type: 'email', email: v });
    flushQueue();
  });
  document.addEventListener('visibilitychange', markRead);

  window.TesseraChat = { open: function () { toggle(true); }, close: function () { toggle(false); } };
  function mount() { document.body.appendChild(host); setStatus(); start(); }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
