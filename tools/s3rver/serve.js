// Starts the S3-protocol test server on 127.0.0.1.
//   node serve.js DIRECTORY [PORT] [BUCKET...]
// PORT 0 (the default) picks a free port. Prints "listening PORT" once ready;
// stops on SIGTERM or when its standard input closes.
const S3rver = require('@20minutes/s3rver')

async function main() {
  const [directory, port = '0', ...buckets] = process.argv.slice(2)
  if (!directory) {
    console.error('usage: serve.js DIRECTORY [PORT] [BUCKET...]')
    process.exit(2)
  }
  const server = new S3rver({
    address: '127.0.0.1',
    port: Number(port),
    directory,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
  })
  const { port: bound } = await server.run()
  console.log(`listening ${bound}`)
  const stop = async () => {
    await server.close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.stdin.on('end', stop)
  process.stdin.resume()
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
