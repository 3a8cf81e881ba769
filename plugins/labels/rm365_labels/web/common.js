// common.js — what the labels pages share: fetching a PDF with the session's token, and
// opening or showing it.

export const API = '/api/v1/labels';

/** Fetch a binary answer (a PDF) with the bearer token; refreshes once on a 401. */
export async function fetchBlob(api, path, init = {}) {
  const go = () => fetch(path, {
    ...init,
    headers: { ...(init.headers || {}), Authorization: `Bearer ${api.accessToken}` },
    credentials: 'same-origin',
  });
  let response = await go();
  if (response.status === 401) {
    await api.refresh();
    response = await go();
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (body && body.detail) message = typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail);
    } catch { /* not JSON */ }
    throw new Error(message);
  }
  return response.blob();
}

/** Open a job's PDF in a new browser tab (the browser's viewer prints it). */
export async function openPdf(api, jobId) {
  const blob = await fetchBlob(api, `${API}/jobs/${jobId}/pdf`);
  const url = URL.createObjectURL(blob);
  const win = window.open(url, '_blank');
  if (!win) {
    const a = document.createElement('a');
    a.href = url;
    a.download = `labels-${jobId}.pdf`;
    a.click();
  }
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export async function downloadCsv(api, jobId) {
  const blob = await fetchBlob(api, `${API}/jobs/${jobId}/csv`);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `labels-${jobId}.csv`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
