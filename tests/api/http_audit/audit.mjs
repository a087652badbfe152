// Runs graphql-http's server audits against the URL given as the first argument and prints
// one JSON line per audit: {id, name, status, reason}. Exit status 0 even when audits fail:
// the pytest test reads the lines and decides.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const results = [];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  results.push({
    id: audit.id,
    name: audit.name,
    status: result.status,
    reason: result.status === 'ok' ? null : result.reason,
  });
}
console.log(JSON.stringify(results));
