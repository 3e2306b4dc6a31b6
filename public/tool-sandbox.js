// Runs one user-defined tool handler per message in a fresh worker; see tool-sandbox.html.
'use strict';
(function () {
  var LIMIT_MS = 5000;
  window.addEventListener('message', function (event) {
    var msg = event.data || {};
    if (typeof msg.id !== 'number' || typeof msg.code !== 'string') return;
    var reply = function (r) { event.source.postMessage(Object.assign({ id: msg.id }, r), '*'); };
    var src =
      'self.onmessage = async function (e) {\n' +
      '  try {\n' +
      '    const handler = async function (args) {\n' + msg.code + '\n};\n' +
      '    const value = await handler(e.data);\n' +
      '    self.postMessage({ ok: true, value: JSON.stringify(value === undefined ? null : value) });\n' +
      '  } catch (err) {\n' +
      '    self.postMessage({ ok: false, error: String(err && err.message ? err.message : err) });\n' +
      '  }\n' +
      '};';
    var url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
    var worker;
    try {
      worker = new Worker(url);
    } catch (err) {
      reply({ ok: false, error: 'The sandbox could not start: ' + err });
      return;
    }
    var timer = setTimeout(function () {
      worker.terminate();
      reply({ ok: false, error: 'The tool took longer than ' + LIMIT_MS / 1000 + ' s and was stopped.' });
    }, LIMIT_MS);
    worker.onmessage = function (e) { clearTimeout(timer); worker.terminate(); URL.revokeObjectURL(url); reply(e.data); };
    worker.onerror = function (e) {
      clearTimeout(timer); worker.terminate(); URL.revokeObjectURL(url);
      reply({ ok: false, error: 'The handler has a syntax error: ' + (e.message || 'unknown') });
      e.preventDefault();
    };
    worker.postMessage(msg.args);
  });
  parent.postMessage({ sandboxReady: true }, '*');
})();
