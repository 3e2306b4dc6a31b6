// Registers the app-shell service worker of a production build and shows "a new version is ready" when one waits.
import { Workbox } from 'workbox-window';

export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  const wb = new Workbox(new URL('sw.js', document.baseURI).href, { scope: new URL('./', document.baseURI).pathname });
  const banner = document.getElementById('update');
  wb.addEventListener('waiting', () => {
    if (!banner) return;
    banner.hidden = false;
    document.getElementById('update-reload')?.addEventListener('click', () => {
      wb.addEventListener('controlling', () => location.reload());
      wb.messageSkipWaiting();
    }, { once: true });
  });
  void wb.register();
}
