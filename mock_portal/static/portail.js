// Portail Ségur numérique simulé: the only script; every page works the same without it.
// 1. It hides the dépositaire's fields while the editor says it is the legal representative.
// 2. After a submit, it moves the focus to what the submit produced: the error summary, else the
//    result ([data-focus]), else the announcements of the page the action led to; a screen reader
//    reads it and the page scrolls to it.
(function () {
  "use strict";
  document.querySelectorAll("[data-visible-si]").forEach(function (section) {
    var rule = section.getAttribute("data-visible-si").split("=");
    var radios = document.querySelectorAll('input[name="' + rule[0] + '"]');
    function update() {
      var checked = document.querySelector('input[name="' + rule[0] + '"]:checked');
      section.hidden = !checked || checked.value !== rule[1];
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  });
  var target = document.querySelector(".resume-erreurs") || document.querySelector("[data-focus]") ||
    document.querySelector(".annonces");
  if (target) {
    if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    target.focus();
  }
})();
