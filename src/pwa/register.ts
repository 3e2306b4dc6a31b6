// Registers the app-shell service worker of a production build and shows "a new version is ready" when one waits.
// On a first visit from a static host that sends no COOP/COEP, it reloads the page once the worker is active, so
// that the worker serves it cross-origin isolated (isolation-reload.ts; the worker is sw.ts).
import { Workbox } from 'workbox-window';
import { preferredCoep, reloadOnceForIsolation } from './isolation-reload.js';

export interface RegisterOptions {
  /** False while a reload would lose work (a model loading, an answer streaming): then no isolation reload. */
  readonly isIdle?: () => boolean;
}

export function registerServiceWorker(options: RegisterOptions = {}): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  const script = new URL('sw.js', document.baseURI);
  // `?coep=require-corp|credentialless` on the page overrides the feature test (to try the other value in one browser).
  const forced = new URLSearchParams(location.search).get('coep');
  script.searchParams.set('coep', forced === 'require-corp' || forced === 'credentialless' ? forced : preferredCoep());
  const wb = new Workbox(script.href, { scope: new URL('./', document.baseURI).pathname });
  const banner = document.getElementById('update');
  wb.addEventListener('waiting', () => {
    if (!banner) return;
    banner.hidden = false;
    document.getElementById('update-reload')?.addEventListener('click', () => {
      wb.addEventListener('controlling', () => location.reload());
      wb.messageSkipWaiting();
    }, { once: true });
  });
  void wb.register().then(async () => {
    await navigator.serviceWorker.ready;
    reloadOnceForIsolation(options.isIdle ?? (() => true));
  });
}
