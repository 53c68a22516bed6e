// Jamscope web UI: the only interactions that need a request, silencing an alert for an hour,
// expiring a silence (through the same /api/silences the CLI and scripts use) and resolving, ignoring
// or reopening an error group (/api/errors/{fingerprint}/state); then the page reloads.
'use strict';

function say(text, bad) {
  const status = document.getElementById('action-status');
  if (status) {
    status.textContent = text;
    status.classList.toggle('bad', Boolean(bad));
  }
}

async function send(method, url, body) {
  const init = { method, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url, init);
  // Read the whole answer before the page reloads, or the reload aborts it.
  const text = await response.text();
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      message = JSON.parse(text).error || message;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(message);
  }
}

document.addEventListener('click', async (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-action]') : null;
  if (!button) return;
  button.disabled = true;
  try {
    if (button.dataset.action === 'silence') {
      await send('POST', '/api/silences', {
        matchers: JSON.parse(button.dataset.matchers || '[]'),
        duration: '1h',
        comment: 'silenced for 1h from the web UI',
        created_by: 'web UI',
      });
      say('Silenced for 1 hour.');
    } else if (button.dataset.action === 'expire') {
      await send('DELETE', `/api/silences/${encodeURIComponent(button.dataset.silenceId || '')}`);
      say('Silence expired.');
    } else if (button.dataset.action === 'error-state') {
      const fingerprint = encodeURIComponent(button.dataset.fingerprint || '');
      await send('POST', `/api/errors/${fingerprint}/state`, { state: button.dataset.state, by: 'web UI' });
      say(`Marked ${button.dataset.state}.`);
    }
    location.reload();
  } catch (error) {
    say(`Failed: ${error.message}`, true);
    button.disabled = false;
  }
});
