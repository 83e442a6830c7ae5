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
