// Small progressive enhancements; every page also works without JavaScript.
"use strict";

// WCAG 1.4.13: a tooltip shown on hover or focus can be dismissed with Escape.
document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  document.querySelectorAll(".tip-wrap").forEach((w) => w.classList.add("dismissed"));
});
document.addEventListener("focusin", () => {
  document.querySelectorAll(".tip-wrap.dismissed").forEach((w) => w.classList.remove("dismissed"));
});
document.addEventListener("mouseover", (e) => {
  const wrap = e.target.closest && e.target.closest(".tip-wrap");
  if (wrap) wrap.classList.remove("dismissed");
});

// The "as of" picker: a datetime-local value has no offset, so send it with the offset of
// the chosen zone (…+09:00). Without JavaScript the server reads it in that zone anyway.
const OFFSETS = { "Asia/Tokyo": "+09:00", UTC: "+00:00" };

function enhanceAsOf(form) {
  const local = form.querySelector("#as_of");
  const zone = form.querySelector("#tz");
  form.addEventListener("submit", () => {
    const offset = OFFSETS[zone ? zone.value : "Asia/Tokyo"];
    if (!local.value || !offset) return;
    const sent = document.createElement("input");
    sent.type = "hidden";
    sent.name = "as_of";
    sent.className = "as-of-sent";
    sent.value = (local.value.length === 16 ? `${local.value}:00` : local.value) + offset;
    local.removeAttribute("name");
    form.appendChild(sent);
  });
  // Back/forward cache: restore the visible field's name.
  window.addEventListener("pageshow", () => {
    local.name = "as_of";
    form.querySelectorAll(".as-of-sent").forEach((el) => el.remove());
  });
}

// The record forms: one form per event type; show only the chosen one. Without
// JavaScript the server shows the type named by ?type= and links to the others.
function enhanceRecordForms(section) {
  const pick = section.querySelector("#type-pick");
  const links = section.querySelector(".type-links");
  const chooser = section.querySelector(".type-chooser");
  if (!pick || !chooser) return;
  chooser.hidden = false;
  if (links) links.hidden = true;
  pick.addEventListener("change", () => {
    section.querySelectorAll("form.event-form").forEach((form) => {
      form.hidden = form.dataset.type !== pick.value;
    });
    const url = new URL(window.location.href);
    url.searchParams.set("type", pick.value);
    window.history.replaceState(window.history.state, "", url); // keeps the one-time key
  });
}

// Record once (api/web/once.py): a form that writes carries a one-time key. Going Back,
// the browser fetches the page again (no-store) with a new key yet fills in again what
// was typed; so each history entry keeps the key it was first shown with, and a form
// sent again from it is answered "already recorded" instead of stored twice. Reloading
// the page starts afresh (nothing is filled in again): it keeps its new key.
const SENT_BEFORE = "このフォームは一度送信しています。もう一度送信しても二重には記録されません"
  + "(記録済みのときは、そう表示します)。";

function keepOneTimeKeys() {
  const inputs = document.querySelectorAll('input[type="hidden"][name="once"]');
  if (!inputs.length) return;
  const current = () => (window.history.state && typeof window.history.state === "object"
    ? window.history.state : {});
  const state = current();
  const [navigation] = performance.getEntriesByType("navigation");
  inputs.forEach((input) => input.form.addEventListener("submit", () => {
    window.history.replaceState({ ...current(), sent: true }, "");
  }));
  // Restored from the back/forward cache, the page keeps its key: only say it was sent.
  window.addEventListener("pageshow", (e) => { if (e.persisted) saySent(inputs, current()); });
  if (state.once && navigation && navigation.type === "back_forward") {
    inputs.forEach((input) => { input.value = state.once; });
    saySent(inputs, state);
    return;
  }
  window.history.replaceState({ once: inputs[0].value }, "");
}

function saySent(inputs, state) {
  if (!state.sent) return;
  inputs.forEach((input) => {
    // Once above the forms of a section (the case page shows one of its forms at a time).
    const place = input.form.closest("section") || input.form;
    if (place.querySelector(".sent-before")) return;
    const said = document.createElement("p");
    said.className = "banner sent-before";
    said.setAttribute("role", "status");
    said.textContent = SENT_BEFORE;
    const heading = place.querySelector("h2");
    if (heading && place !== input.form) heading.after(said);
    else place.prepend(said);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  keepOneTimeKeys();
  const asOf = document.querySelector("form.asof");
  if (asOf) enhanceAsOf(asOf);
  const record = document.querySelector("section.record");
  if (record) enhanceRecordForms(record);
});
