// The page works without JavaScript; this only adds the copy-link button.
document.querySelectorAll("button.copy").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      button.setAttribute("aria-pressed", "true");
    });
  });
});
