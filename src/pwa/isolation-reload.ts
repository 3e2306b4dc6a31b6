// First visit from a static host: the page was not served through the service worker yet, so it is not cross-origin
// isolated. Once the worker is active, one reload makes the page go through it and get COOP/COEP (sw.ts).
// Guards against loops: at most one try per tab session (sessionStorage), none when the browser cannot be isolated,
// none inside a frame (isolation also needs the embedding page isolated), none when the page is already controlled
// (the worker serving it then is what it is; a newer one arrives through the update prompt).

import type { CoepValue } from './isolation-headers.js';

const TRIED = 'gemma-isolation-reload';

export interface IsolationState {
  /** `self.crossOriginIsolated`; undefined in a browser without cross-origin isolation. */
  readonly isolated: boolean | undefined;
  /** A service worker controlled this page's own load. */
  readonly controlled: boolean;
  readonly topLevel: boolean;
  /** This tab already reloaded once for isolation (or sessionStorage cannot be used). */
  readonly alreadyTried: boolean;
  /** Nothing would be lost by a reload now (no model load or answer in progress). */
  readonly idle: boolean;
}

export function shouldReloadForIsolation(s: IsolationState): boolean {
  return s.isolated === false && !s.controlled && s.topLevel && !s.alreadyTried && s.idle;
}

/**
 * COEP credentialless where the browser supports it (Chromium 110+ exposes its sibling, credentialless iframes),
 * as the dev and preview servers send; require-corp elsewhere (Safari, Firefox), which also isolates the app.
 */
export function preferredCoep(w: Window = window): CoepValue {
  const iframe = (w as Window & { HTMLIFrameElement?: { prototype: object } }).HTMLIFrameElement;
  return iframe && 'credentialless' in iframe.prototype ? 'credentialless' : 'require-corp';
}

function readTried(): boolean {
  try {
    return sessionStorage.getItem(TRIED) !== null;
  } catch {
    return true; // no storage: we could not tell a loop from a first try
  }
}

/** Reloads once if that makes the page isolated; clears the flag once isolated, so a later uncontrolled load may retry. */
export function reloadOnceForIsolation(isIdle: () => boolean): boolean {
  const isolated = (self as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  if (isolated) {
    try {
      sessionStorage.removeItem(TRIED);
    } catch {
      /* nothing to clear */
    }
    return false;
  }
  const state: IsolationState = {
    isolated,
    controlled: !!navigator.serviceWorker?.controller,
    topLevel: window.top === window,
    alreadyTried: readTried(),
    idle: isIdle(),
  };
  if (!shouldReloadForIsolation(state)) return false;
  try {
    sessionStorage.setItem(TRIED, String(Date.now()));
  } catch {
    return false;
  }
  location.reload();
  return true;
}
