// The page works without JavaScript; this only adds the copy-link button. Its result is announced in the
// live region next to it, in the page's language.
document.querySelectorAll("button.copy").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      var status = button.parentNode.querySelector(".copied");
      if (status) status.textContent = button.dataset.copied;
    });
  });
});
