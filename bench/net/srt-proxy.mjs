// sandbox-runtime's HTTP proxy, alone, allowing everything: the comparison point for the broker.
//   SRT_DIR=.../node_modules/@anthropic-ai/sandbox-runtime node srt-proxy.mjs PORT
const mod = await import(process.env.SRT_DIR + '/dist/sandbox/http-proxy.js');
const server = mod.createHttpProxyServer({ filter: () => true });
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
