() => {
  // Browsers offer to save a password only from a field inside a <form>: put the admin login
  // box into one (its submit does nothing; the Log in button's click logs in).
  const wrap = () => {
    const box = document.querySelector("#admin-login");
    if (!box) return false;
    if (box.closest("form")) return true;
    const form = document.createElement("form");
    form.id = "admin-login-form";
    form.addEventListener("submit", (event) => event.preventDefault());
    box.parentNode.insertBefore(form, box);
    form.appendChild(box);
    box.querySelector("#admin-user input, #admin-user textarea")?.setAttribute("autocomplete", "username");
    box.querySelector("#admin-password input")?.setAttribute("autocomplete", "current-password");
    return true;
  };
  let tries = 0;
  const timer = setInterval(() => {
    if (wrap() || ++tries > 300) clearInterval(timer);
  }, 200);
}
