import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

type Schema = Record<string, unknown>;
interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

/**
 * Every object of a response schema closed (`additionalProperties: false` where it lists its
 * properties and says nothing of others): a field the hub sends and the document leaves out fails.
 */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const s = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === 'enum' ? v : closed(v)]));
  if (s.properties && s.additionalProperties === undefined && s.patternProperties === undefined) {
    s.additionalProperties = false;
  }
  return s;
}

/**
 * Checks answers of the hub against its own OpenAPI document: the operation for the method and
 * path must exist, document the status, and its JSON schema must accept the body, objects closed.
 */
export class OpenApiContract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly routes: { method: string; template: string; pattern: RegExp }[];

  constructor(private readonly doc: OpenApiDocument) {
    this.ajv.addFormat('date-time', (v: string) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d\d-\d\dT/.test(v));
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
      this.ajv.addSchema(closed(schema) as Schema, `#/components/schemas/${name}`);
    }
    this.routes = Object.entries(doc.paths).flatMap(([template, ops]) =>
      Object.keys(ops).map((method) => ({
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      })),
    );
  }

  /** What is wrong with this answer to `method url`, by the document; empty when it conforms. */
  problems(method: string, url: string, status: number, body: unknown): string[] {
    const path = url.split('?')[0] ?? url;
    // A literal path wins over a template (`/deployments/retry` over `/deployments/{x}`).
    const candidates = this.routes.filter((r) => r.method === method && r.pattern.test(path));
    const route = candidates.find((r) => r.template === path) ?? candidates[0];
    if (!route) return [`${method} ${path} is not in the document`];
    const response = this.doc.paths[route.template]?.[method.toLowerCase()]?.responses?.[String(status)];
    if (!response) return [`${method} ${route.template} does not document status ${status}`];
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return body === undefined ? [] : [`${method} ${route.template} ${status} documents no JSON body`];
    const key = `${method} ${route.template} ${status}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(closed(schema) as Schema);
      this.compiled.set(key, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (e) => `${key}: ${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
    );
  }
}
