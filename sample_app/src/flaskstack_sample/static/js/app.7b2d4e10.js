// flaskstack sample app: marks the page once the script has loaded.
(function () {
  "use strict";
  var status = document.getElementById("js-status");
  if (status) {
    status.textContent = "JavaScript loaded.";
    status.classList.add("loaded");
  }
})();
