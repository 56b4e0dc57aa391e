// Recognition pages: a character counter for award messages, an icon preview, and filters that apply at once.
(() => {
  const message = document.querySelector("textarea[data-min]");
  const counter = document.querySelector('[data-counter-for="message"]');
  if (message && counter) {
    const minimum = Number(message.dataset.min);
    const update = () => {
      const length = message.value.trim().length;
      counter.textContent = `${length} / ${minimum}+`;
      counter.classList.toggle("rec-short", length < minimum);
    };
    counter.hidden = false;
    message.addEventListener("input", update);
    update();
  }

  const select = document.querySelector(".rec-icon-select");
  const preview = document.querySelector(".rec-icon-preview");
  if (select && preview) {
    const show = () => {
      preview.replaceChildren();
      if (!select.value) return;
      const image = document.createElement("img");
      image.src = preview.dataset.iconBase + select.value;
      image.alt = "";
      preview.append(image);
    };
    select.addEventListener("change", show);
    show();
  }

  document.querySelectorAll("select.rec-autosubmit").forEach((element) => {
    element.addEventListener("change", () => {
      // Store and region are alternatives: choosing one clears the other.
      const form = element.form;
      form.querySelectorAll("select.rec-autosubmit").forEach((other) => {
        if (other !== element) other.value = "";
      });
      form.submit();
    });
  });
})();
