// Where the rules shipped with eqld live: rules/ beside the package (dist/rules or src/rules
// -> ../../rules), so it works from a checkout and from /opt/eqld alike.
import { fileURLToPath } from 'node:url';

export const BUNDLED_RULES_DIR = fileURLToPath(new URL('../../rules', import.meta.url));
