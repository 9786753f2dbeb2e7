// Portail Ségur numérique simulé: the only script. It hides the dépositaire's fields while the editor says it
// is the legal representative; without it every field stays visible and the form works the same.
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
})();
