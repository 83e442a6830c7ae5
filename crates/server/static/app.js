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
