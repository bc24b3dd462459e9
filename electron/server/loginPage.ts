/**
 * Server mode's sign-in page: plain HTML and a small script (no inline script, so the
 * Content-Security-Policy stays strict). It posts to /auth/login or /auth/signup and, once
 * the session cookie is set, opens the app.
 */
export const LOGIN_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Emily · sign in</title>
<style>body{font-family:system-ui,sans-serif;max-width:22rem;margin:12vh auto;padding:0 1rem;color:#222}
label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1rem;margin-right:.5rem}#error{color:#a00;min-height:1.5em;margin-top:1rem}</style>
</head><body>
<h1>Emily</h1>
<form id="form">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required minlength="3" maxlength="40">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required minlength="10" maxlength="200">
<button type="submit" id="login">Sign in</button><button type="button" id="signup">Create account</button>
</form>
<div id="error" role="alert"></div>
<script src="/login.js"></script>
</body></html>`;

export const LOGIN_JS = `(() => {
  const form = document.getElementById('form');
  const error = document.getElementById('error');
  async function send(path) {
    error.textContent = '';
    const body = JSON.stringify({ username: form.username.value, password: form.password.value });
    try {
      const res = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body });
      const out = await res.json();
      if (out.ok) location.assign('/');
      else error.textContent = out.error.message;
    } catch (e) {
      error.textContent = 'cannot reach Emily; try again in a moment';
    }
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); send('/auth/login'); });
  document.getElementById('signup').addEventListener('click', () => { if (form.reportValidity()) send('/auth/signup'); });
})();`;
