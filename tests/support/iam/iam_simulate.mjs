// Evaluate IAM requests with @cloud-copilot/iam-simulate, installed from this folder's own lock
// (see tests/support/iam_simulator.py).
// stdin: JSON array of Simulation objects; stdout: JSON array of {resultType, overallResult, ignoredContextKeys, errors}.
import { runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const simulations = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const results = []
for (const simulation of simulations) {
  const result = await runSimulation(simulation, {})
  results.push({
    resultType: result.resultType,
    overallResult: result.overallResult ?? null,
    ignoredContextKeys: result.result?.ignoredContextKeys ?? [],
    errors: result.errors ?? null,
  })
}
process.stdout.write(JSON.stringify(results))
