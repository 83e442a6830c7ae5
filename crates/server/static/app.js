// Progressive enhancements only: every page works without this file.
document.addEventListener('submit', function (e) {
  var msg = (e.submitter && e.submitter.getAttribute('data-confirm')) || e.target.getAttribute('data-confirm');
  if (msg && !window.confirm(msg)) e.preventDefault();
});
document.addEventListener('click', function (e) {
  var btn = e.target.closest('[data-copy]');
  if (!btn) return;
  var text = new URL(btn.getAttribute('data-copy'), window.location.origin).toString();
  if (navigator.clipboard) navigator.clipboard.writeText(text);
  btn.textContent = '✓';
});
// A menu (details.menu) closes when the reader taps elsewhere or presses Escape.
document.addEventListener('click', function (e) {
  document.querySelectorAll('details.menu[open]').forEach(function (d) { if (!d.contains(e.target)) d.open = false; });
});
document.addEventListener('keydown', function (e) {
  if (e.key === 'Escape') document.querySelectorAll('details.menu[open]').forEach(function (d) { d.open = false; });
});
// "Select all" ticks every checkbox of the class it names.
document.addEventListener('change', function (e) {
  var cls = e.target.getAttribute && e.target.getAttribute('data-select-all');
  if (!cls) return;
  document.querySelectorAll('input.' + cls).forEach(function (b) { b.checked = e.target.checked; });
});
// Fields that apply only to some choices carry data-when="field=a,b": they
// show while the form's field `field` has one of those values. Without this
// script every field shows, and the server ignores the ones that do not apply.
function yajiWhen(form) {
  form.querySelectorAll('[data-when]').forEach(function (el) {
    var spec = el.getAttribute('data-when').split('=');
    var ctl = form.elements[spec[0]];
    if (!ctl) return;
    el.hidden = spec[1].split(',').indexOf(ctl.value) < 0;
  });
}
document.querySelectorAll('form').forEach(yajiWhen);
document.addEventListener('change', function (e) { if (e.target.form) yajiWhen(e.target.form); });
// @mention suggestions: a textarea with data-mention="<members API URL>"
// offers members whose name starts like the word being typed after "@".
(function () {
  var timer = null;
  function close(ta) {
    var list = ta.parentNode.querySelector('.mention-list');
    if (list) list.remove();
  }
  function typed(ta) {
    var before = ta.value.slice(0, ta.selectionStart);
    var m = /(^|[\s(（，,])[@＠]([A-Za-z0-9_.\-]{1,32})$/.exec(before);
    return m ? m[2] : null;
  }
  function pick(ta, username) {
    var pos = ta.selectionStart, before = ta.value.slice(0, pos), q = typed(ta);
    var start = before.length - q.length;
    ta.value = before.slice(0, start) + username + ' ' + ta.value.slice(pos);
    ta.selectionStart = ta.selectionEnd = start + username.length + 1;
    close(ta);
    ta.focus();
  }
  document.addEventListener('input', function (e) {
    var ta = e.target;
    if (!ta.matches || !ta.matches('textarea[data-mention]')) return;
    var q = typed(ta);
    clearTimeout(timer);
    if (!q) { close(ta); return; }
    timer = setTimeout(function () {
      fetch(ta.getAttribute('data-mention') + '?limit=6&q=' + encodeURIComponent(q), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (members) {
          close(ta);
          if (!members.length || typed(ta) !== q) return;
          var list = document.createElement('ul');
          list.className = 'mention-list';
          list.setAttribute('role', 'listbox');
          members.forEach(function (m) {
            var li = document.createElement('li'), b = document.createElement('button');
            b.type = 'button';
            b.textContent = m.user.display_name + ' @' + m.user.username;
            b.addEventListener('click', function () { pick(ta, m.user.username); });
            li.appendChild(b);
            list.appendChild(li);
          });
          ta.insertAdjacentElement('afterend', list);
        })
        .catch(function () {});
    }, 150);
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && e.target.matches && e.target.matches('textarea[data-mention]')) close(e.target);
  });
})();
// A lottery's verify page: recompute the draw here, in the reader's browser,
// from the published result (algorithm yaji-lottery-v1, docs/challenges.md),
// and mark each check. Needs WebCrypto (https or localhost); else the page
// points to `yaji lottery verify`.
(function () {
  var box = document.querySelector('[data-verify-lottery]');
  if (!box || !(window.crypto && crypto.subtle && window.TextEncoder && window.BigInt)) return;
  var enc = new TextEncoder();
  function hex(buf) { return Array.from(new Uint8Array(buf)).map(function (b) { return b.toString(16).padStart(2, '0'); }).join(''); }
  function sha(bytes) { return crypto.subtle.digest('SHA-256', bytes); }
  function mark(name, ok) {
    var el = box.querySelector('[data-check="' + name + '"]');
    if (el) { el.textContent = ok ? '✓' : '✗'; el.className = ok ? 'ok-mark' : 'bad-mark'; }
    return ok;
  }
  fetch(box.getAttribute('data-verify-lottery'), { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(async function (r) {
    if (!r.secret) return;
    var okC = mark('commitment', hex(await sha(enc.encode(r.secret))) === r.commitment);
    var hash = hex(await sha(enc.encode(r.entries.map(function (e) { return e.ticket; }).join('\n'))));
    var okH = mark('entries_hash', hash === r.entries_hash);
    var seedHex = hex(await sha(enc.encode(r.secret + '\n' + hash + '\n' + r.operator_value)));
    var okS = mark('seed', seedHex === r.seed);
    var seed = new Uint8Array(seedHex.match(/../g).map(function (h) { return parseInt(h, 16); }));
    var counter = 0n, two64 = 1n << 64n;
    async function below(n) {
      var N = BigInt(n), bound = two64 - (two64 % N);
      for (;;) {
        var input = new Uint8Array(seed.length + 8);
        input.set(seed);
        new DataView(input.buffer).setBigUint64(seed.length, counter);
        counter += 1n;
        var x = new DataView(await sha(input)).getBigUint64(0);
        if (x < bound) return Number(x % N);
      }
    }
    var pool = r.entries.filter(function (e) { return e.eligible; });
    var mine = [];
    for (var p of r.prizes) {
      for (var i = 0; i < p.quantity && pool.length; i++) {
        var w = pool[await below(pool.length)];
        pool = pool.filter(function (e) { return e.holder !== w.holder; });
        mine.push(w.ticket + ' ' + p.name);
      }
    }
    var published = r.winners.map(function (w) { return w.ticket + ' ' + w.prize; });
    var okW = mark('winners', JSON.stringify(mine) === JSON.stringify(published));
    var all = box.querySelector('[data-check-all]');
    if (all) { all.hidden = false; all.textContent = all.getAttribute(okC && okH && okS && okW ? 'data-ok' : 'data-bad'); all.className = 'flash ' + (okC && okH && okS && okW ? 'ok' : 'err'); }
  });
})();

// The door: check tickets in without reloading, and read QR codes with the
// camera where the browser has a barcode reader (the form works without either).
(function () {
  var box = document.querySelector('[data-door]');
  if (!box) return;
  var form = box.querySelector('.door-form');
  var input = form.querySelector('[name=code]');
  var csrf = form.querySelector('[name=_csrf]').value;
  var out = box.querySelector('#door-result');
  var count = box.querySelector('#door-count');
  var busy = false;
  function say(key, fill) {
    var s = box.getAttribute('data-t-' + key) || key;
    for (var k in fill || {}) s = s.replace('{' + k + '}', fill[k]);
    return s;
  }
  function show(d) {
    out.className = 'door-result ' + (d.admit ? 'ok' : 'bad');
    out.textContent = '';
    var p = document.createElement('p');
    p.className = 'verdict-line';
    p.textContent = say(d.outcome);
    out.appendChild(p);
    if (d.display_name) {
      var w = document.createElement('p');
      w.className = 'who-line';
      var b = document.createElement('strong');
      b.textContent = d.display_name;
      w.appendChild(b);
      w.appendChild(document.createTextNode(' @' + d.username + (d.guests ? ' · ' + say('guests', { n: d.guests }) : '')));
      out.appendChild(w);
    }
    if (d.other_event) {
      var o = document.createElement('p');
      o.className = 'small';
      o.textContent = '→ ' + d.other_event;
      out.appendChild(o);
    }
    count.textContent = say('arrived', { a: d.arrived, b: d.expected });
    if (navigator.vibrate) navigator.vibrate(d.admit ? 60 : [60, 60, 60]);
  }
  function check(code) {
    if (busy || !code.trim()) return;
    busy = true;
    fetch('/api/v1/events/' + box.getAttribute('data-door') + '/check-ins', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ code: code })
    }).then(function (r) { return r.json(); }).then(function (d) {
      if (d.error) { out.className = 'door-result bad'; out.textContent = d.error.message || say('error'); } else { show(d); }
    }).catch(function () { out.className = 'door-result bad'; out.textContent = say('error'); })
      .finally(function () { busy = false; input.value = ''; input.focus(); });
  }
  form.addEventListener('submit', function (e) { e.preventDefault(); check(input.value); });
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices) return;
  var scan = box.querySelector('.scan');
  var video = box.querySelector('#door-video');
  scan.hidden = false;
  box.querySelector('#door-scan').addEventListener('click', function () {
    var detector = new window.BarcodeDetector({ formats: ['qr_code'] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var last = '', lastAt = 0;
      (function tick() {
        detector.detect(video).then(function (codes) {
          var c = codes[0] && codes[0].rawValue;
          // The same ticket held up for a while is one check-in.
          if (c && (c !== last || Date.now() - lastAt > 3000)) { last = c; lastAt = Date.now(); check(c); }
        }).catch(function () {}).finally(function () { setTimeout(tick, 250); });
      })();
    }).catch(function () { scan.hidden = true; });
  });
})();
