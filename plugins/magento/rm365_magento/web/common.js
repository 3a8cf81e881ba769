// common.js — what the Magento pages share: the API base, styles, sounds, small formatters.

export const API = '/api/v1/magento';

export function ensureStyles(ctx) {
  return ctx.ui.loadCss(new URL('./magento.css', import.meta.url).href).catch(() => {});
}

let audio = null;
const TONES = {
  ok: [['sine', 880, 0, 0.08]],
  line_complete: [['sine', 880, 0, 0.08], ['sine', 1318, 0.1, 0.12]],
  session_complete: [['sine', 880, 0, 0.08], ['sine', 1108, 0.1, 0.08], ['sine', 1318, 0.2, 0.2]],
  wrong_item: [['square', 196, 0, 0.16], ['square', 196, 0.22, 0.16]],
  over_scan: [['sawtooth', 330, 0, 0.3]],
  error: [['square', 150, 0, 0.3]],
};

/** A sound per scan outcome: scanners are used by ear. */
export function sound(kind) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === 'suspended') audio.resume();
    for (const [type, freq, start, length] of TONES[kind] || TONES.error) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = type;
      osc.frequency.value = freq;
      const t = audio.currentTime + start;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.2, t + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + length);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + length + 0.02);
    }
  } catch {
    /* no audio: the colour still says it */
  }
}

export function newClientId() {
  return (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`).replace(/-/g, '');
}

export function age(iso) {
  const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

export function progressBar(h, progress) {
  return h('div', { class: 'mg-progress', title: `${progress.scanned} / ${progress.expected}` },
    h('div', { class: 'mg-progress-fill', style: `width: ${Math.min(100, progress.percent)}%` }),
    h('span', {}, `${progress.scanned} / ${progress.expected}`));
}
