// tests/quality/fake_llm.mjs — a stand-in LLM for `mxcp evals` tests.
// Speaks the real wire protocols: Anthropic Messages (POST /v1/messages,
// tool_use / tool_result blocks) and OpenAI Chat Completions
// (POST /v1/chat/completions, tool_calls / role "tool"). Scripted by the
// prompt text:
//   "item N"     → call lookup {id: N}, then answer quoting the tool result
//   "delete"     → call delete_items {itemId: N}, then answer quoting it
//   "ratelimit"  → first request answers 429 (retry-after: 0, or N with
//                  "ratelimit Ns"; "ratelimit always" never stops); as a
//                  real rate limiter, a retry sooner than retry-after is
//                  answered 429 again (counted as "early" in GET /stats)
//   "malformed"  → answers a body that is not JSON
//   "slow"       → answers only after SLOW_MS (20 s): a client timeout
//   otherwise    → a plain answer with no tool call
// Checks the auth headers and that our tools were sent; prints its port.
// GET /stats counts the "slow" requests (a timed-out request is not retried)
// and the retries that came before their retry-after ("early").
import http from 'node:http';

const KEY = process.env.FAKE_LLM_KEY || 'test-key';
const SLOW_MS = 20000;
const limited = new Map(); // url + prompt → when the rate limit lifts (ms)
let slowRequests = 0; // how many "slow" requests arrived (GET /stats)
let earlyRetries = 0; // retries sent before the retry-after they were given

function script(prompt, toolResult) {
  if (toolResult !== undefined) return { text: `The tool said: ${toolResult}` };
  const m = /item (\d+)/.exec(prompt);
  if (/delete/i.test(prompt)) return { call: { name: 'delete_items', args: { itemId: m ? Number(m[1]) : 0 } } };
  if (m) return { call: { name: 'lookup', args: { id: Number(m[1]) } } };
  return { text: 'I have no tool for that.' };
}

function anthropic(req, body, res) {
  if (req.headers['x-api-key'] !== KEY || req.headers['anthropic-version'] !== '2023-06-01')
    return send(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'bad key' } });
  if (!Array.isArray(body.tools) || !body.tools.every((t) => t.name && t.input_schema))
    return send(res, 400, { type: 'error', error: { message: 'tools missing' } });
  const first = body.messages[0].content;
  const last = body.messages[body.messages.length - 1];
  let toolResult;
  if (Array.isArray(last.content)) {
    const r = last.content.find((b) => b.type === 'tool_result');
    if (r) toolResult = r.content;
  }
  const s = script(first, toolResult);
  const content = s.call
    ? [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'toolu_1', name: s.call.name, input: s.call.args }]
    : [{ type: 'text', text: s.text }];
  send(res, 200, { id: 'msg_1', type: 'message', role: 'assistant', model: body.model, content,
    stop_reason: s.call ? 'tool_use' : 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } });
}

function openai(req, body, res) {
  if (req.headers.authorization !== `Bearer ${KEY}`)
    return send(res, 401, { error: { message: 'bad key' } });
  if (!Array.isArray(body.tools) || !body.tools.every((t) => t.type === 'function' && t.function.parameters))
    return send(res, 400, { error: { message: 'tools missing' } });
  const first = body.messages[0].content;
  const last = body.messages[body.messages.length - 1];
  const s = script(first, last.role === 'tool' ? last.content : undefined);
  const message = s.call
    ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function',
        function: { name: s.call.name, arguments: JSON.stringify(s.call.args) } }] }
    : { role: 'assistant', content: s.text };
  send(res, 200, { id: 'chatcmpl-1', object: 'chat.completion', model: body.model,
    choices: [{ index: 0, message, finish_reason: s.call ? 'tool_calls' : 'stop' }] });
}

function send(res, status, obj, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(obj));
}

const server = http.createServer((req, res) => {
  let data = '';
  req.on('data', (c) => (data += c));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/stats') return send(res, 200, { slow: slowRequests, early: earlyRetries });
    let body;
    try { body = JSON.parse(data); } catch { return send(res, 400, { error: 'bad json' }); }
    const prompt = String(body.messages?.[0]?.content ?? '');
    const key = req.url + prompt;
    const lifts = limited.get(key);
    if (lifts !== undefined && Date.now() < lifts) {
      earlyRetries++;
      return send(res, 429, { error: { message: 'too early' } }, { 'retry-after': String(Math.ceil((lifts - Date.now()) / 1000)) });
    }
    if (/ratelimit/.test(prompt) && (/ratelimit always/.test(prompt) || lifts === undefined)) {
      const wait = /ratelimit (\d+)s/.exec(prompt);
      const secs = wait ? Number(wait[1]) : 0;
      limited.set(key, Date.now() + secs * 1000);
      return send(res, 429, { error: { message: 'slow down' } }, { 'retry-after': String(secs) });
    }
    if (/malformed/.test(prompt)) { res.writeHead(200, { 'content-type': 'application/json' }); return res.end('{"choices": [oops'); }
    const answer = () => {
      if (req.method === 'POST' && req.url === '/v1/messages') return anthropic(req, body, res);
      if (req.method === 'POST' && req.url === '/v1/chat/completions') return openai(req, body, res);
      send(res, 404, { error: `no route ${req.method} ${req.url}` });
    };
    if (/slow/.test(prompt)) {
      slowRequests++;
      const t = setTimeout(answer, SLOW_MS);
      res.on('close', () => clearTimeout(t)); // the client gave up
      return;
    }
    answer();
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
