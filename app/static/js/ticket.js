// The one-time ticket page: copy the number and query code, or print them. The buttons stay hidden
// without this script (the page is still readable and printable from the browser's menu).
(function () {
  "use strict";
  var copy = document.querySelector("[data-copy]");
  var print = document.querySelector("[data-print]");
  if (copy && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(copy.dataset.copy).then(function () {
        copy.textContent = copy.dataset.copied;
      });
    });
  }
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
