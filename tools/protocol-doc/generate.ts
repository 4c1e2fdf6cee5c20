/**
 * Generates docs/PROTOCOL.md from the signaling contract's declarations
 * (libs/signaling-contracts) with the TypeScript compiler API, so the document
 * cannot drift from the types. `--check` exits 1 when the file on disk differs.
 *
 *   node -r @swc-node/register tools/protocol-doc/generate.ts [--check]
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
/* eslint-disable @nx/enforce-module-boundaries -- the wire rules are runtime values of the contract: the document is written from them */
import { MAX_JSON_DEPTH } from '../../libs/signaling-contracts/src/lib/envelope';
import { RESERVED_KEYS, type WireRule } from '../../libs/signaling-contracts/src/lib/wire-schema';
import {
  DTLS_PARAMETERS_WIRE,
  RTP_CAPABILITIES_WIRE,
  RTP_PARAMETERS_WIRE,
  SCTP_CAPABILITIES_WIRE,
  SCTP_STREAM_PARAMETERS_WIRE,
} from '../../libs/signaling-contracts/src/lib/media-wire';
import * as FileFrames from '../../libs/signaling-contracts/src/lib/file-frames';
/* eslint-enable @nx/enforce-module-boundaries */

const ROOT = path.resolve(__dirname, '..', '..');
const LIB = path.join(ROOT, 'libs/signaling-contracts/src/lib');
export const DOC_PATH = path.join(ROOT, 'docs/PROTOCOL.md');

interface Field {
  name: string;
  type: string;
  optional: boolean;
  doc: string;
}

interface Method {
  name: string;
  doc: string;
  params: Field[] | string;
  result?: Field[] | string;
  errors?: string[];
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** `{@link X}` → `X` in code style. */
function links(text: string): string {
  return text.replace(/\{@link\s+([^}\s]+)\s*\}/g, '`$1`');
}

function cell(text: string): string {
  return links(oneLine(text)).replace(/\|/g, '\\|');
}

class ContractReader {
  private readonly program: ts.Program;
  private readonly checker: ts.TypeChecker;

  constructor(readonly files: string[]) {
    this.program = ts.createProgram(files, { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, noEmit: true });
    this.checker = this.program.getTypeChecker();
  }

  source(file: string): ts.SourceFile {
    const sf = this.program.getSourceFile(path.join(LIB, file));
    if (!sf) throw new Error(`cannot read ${file}`);
    return sf;
  }

  declaration(file: string, name: string): ts.InterfaceDeclaration | ts.TypeAliasDeclaration | ts.VariableStatement {
    const sf = this.source(file);
    for (const stmt of sf.statements) {
      if ((ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt)) && stmt.name.text === name) return stmt;
      if (ts.isVariableStatement(stmt) && stmt.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === name)) return stmt;
    }
    throw new Error(`${name} not found in ${file}`);
  }

  doc(node: ts.Node): string {
    const symbol = (node as { name?: ts.Node }).name ? this.checker.getSymbolAtLocation((node as unknown as { name: ts.Node }).name) : undefined;
    if (symbol) {
      const text = ts.displayPartsToString(symbol.getDocumentationComment(this.checker));
      if (text) return text;
    }
    // Variable statements carry their JSDoc on the statement.
    const jsDoc = (node as { jsDoc?: { comment?: string | ts.NodeArray<ts.JSDocComment> }[] }).jsDoc;
    const comment = jsDoc?.[0]?.comment;
    return typeof comment === 'string' ? comment : comment ? ts.getTextOfJSDocComment(comment) ?? '' : '';
  }

  /** Fields of a type node: its properties with declared type text, optionality and JSDoc. */
  fields(typeNode: ts.TypeNode): Field[] | string {
    const type = this.checker.getTypeFromTypeNode(typeNode);
    const props = this.checker.getPropertiesOfType(type);
    if (props.length === 0) return '(none)';
    return props.map((p) => {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      const typeText =
        decl && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl)) && decl.type
          ? decl.type.getText()
          : this.checker.typeToString(this.checker.getTypeOfSymbol(p), undefined, ts.TypeFormatFlags.NoTruncation);
      return {
        name: p.name,
        type: oneLine(typeText),
        optional: (p.flags & ts.SymbolFlags.Optional) !== 0,
        doc: ts.displayPartsToString(p.getDocumentationComment(this.checker)),
      };
    });
  }

  /** String literal members of a union type node (error codes), in source order. */
  literals(typeNode: ts.TypeNode): string[] {
    const nodes = ts.isUnionTypeNode(typeNode) ? typeNode.types : [typeNode];
    if (nodes.every((m) => ts.isLiteralTypeNode(m) && ts.isStringLiteral(m.literal))) {
      return nodes.map((m) => ((m as ts.LiteralTypeNode).literal as ts.StringLiteral).text);
    }
    const type = this.checker.getTypeFromTypeNode(typeNode);
    const members = type.isUnion() ? type.types : [type];
    return members.filter((t) => t.isStringLiteral()).map((t) => (t as ts.StringLiteralType).value);
  }

  /** The methods of a map interface whose members are `MethodSpec<P, R, E>`. */
  methodSpecs(file: string, name: string): Method[] {
    const decl = this.declaration(file, name) as ts.InterfaceDeclaration;
    return decl.members.filter(ts.isPropertySignature).map((m) => {
      const ref = m.type;
      if (!ref || !ts.isTypeReferenceNode(ref) || !ref.typeArguments || ref.typeArguments.length < 2) throw new Error(`${name}.${m.name.getText()} is not a MethodSpec`);
      const [p, r, e] = ref.typeArguments;
      return { name: m.name.getText(), doc: this.doc(m), params: this.fields(p), result: this.fields(r), errors: e ? this.literals(e) : [] };
    });
  }

  /** Methods of a map whose members are the payload types themselves (notifications). */
  payloadMap(file: string, name: string): Method[] {
    const decl = this.declaration(file, name) as ts.InterfaceDeclaration;
    return decl.members.filter(ts.isPropertySignature).map((m) => ({ name: m.name.getText(), doc: this.doc(m), params: m.type ? this.fields(m.type) : '(none)' }));
  }

  /** Exported interfaces of a file, in source order, with their fields. */
  interfaces(file: string): { name: string; doc: string; fields: Field[] | string; text?: string }[] {
    const out: { name: string; doc: string; fields: Field[] | string; text?: string }[] = [];
    for (const stmt of this.source(file).statements) {
      const exported = ts.canHaveModifiers(stmt) && ts.getModifiers(stmt)?.some((mod) => mod.kind === ts.SyntaxKind.ExportKeyword);
      if (!exported) continue;
      if (ts.isInterfaceDeclaration(stmt)) {
        const type = this.checker.getTypeAtLocation(stmt.name);
        out.push({ name: stmt.name.text, doc: this.doc(stmt), fields: this.fieldsOfType(type) });
      } else if (ts.isTypeAliasDeclaration(stmt) && !stmt.typeParameters) {
        out.push({ name: stmt.name.text, doc: this.doc(stmt), fields: '', text: oneLine(stmt.type.getText()) });
      }
    }
    return out;
  }

  private fieldsOfType(type: ts.Type): Field[] | string {
    const props = this.checker.getPropertiesOfType(type);
    if (!props.length) return '(none)';
    return props.map((p) => {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      const typeText = decl && ts.isPropertySignature(decl) && decl.type ? decl.type.getText() : this.checker.typeToString(this.checker.getTypeOfSymbol(p));
      return { name: p.name, type: oneLine(typeText), optional: (p.flags & ts.SymbolFlags.Optional) !== 0, doc: ts.displayPartsToString(p.getDocumentationComment(this.checker)) };
    });
  }

  /** Members of an exported `{ ... } as const` object: name, value text and JSDoc. */
  objectConstant(file: string, name: string): { name: string; value: string; doc: string }[] {
    const stmt = this.declaration(file, name) as ts.VariableStatement;
    let init = stmt.declarationList.declarations[0].initializer;
    while (init && (ts.isAsExpression(init) || ts.isParenthesizedExpression(init))) init = init.expression;
    if (!init || !ts.isObjectLiteralExpression(init)) throw new Error(`${name} is not an object literal`);
    return init.properties.filter(ts.isPropertyAssignment).map((p) => {
      const symbol = this.checker.getSymbolAtLocation(p.name);
      return { name: p.name.getText(), value: p.initializer.getText(), doc: symbol ? ts.displayPartsToString(symbol.getDocumentationComment(this.checker)) : '' };
    });
  }

  constValue(file: string, name: string): string {
    const stmt = this.declaration(file, name) as ts.VariableStatement;
    const d = stmt.declarationList.declarations[0];
    return d.initializer ? d.initializer.getText() : '';
  }
}

function fieldTable(fields: Field[] | string): string {
  if (typeof fields === 'string') return `${fields}\n`;
  return ['| field | type | required | description |', '|---|---|---|---|', ...fields.map((f) => `| \`${f.name}\` | \`${cell(f.type)}\` | ${f.optional ? 'no' : 'yes'} | ${cell(f.doc)} |`)].join('\n') + '\n';
}

/** The whole document, as a string. */
export function generateProtocolDoc(): string {
  const files = ['envelope.ts', 'errors.ts', 'client-requests.ts', 'server-messages.ts', 'domain.ts', 'media-types.ts', 'token-claims.ts', 'file-frames.ts'].map((f) => path.join(LIB, f));
  const r = new ContractReader(files);
  const common = r.literals((r.declaration('client-requests.ts', 'CommonErrorCode') as ts.TypeAliasDeclaration).type);
  const out: string[] = [];
  const push = (...lines: string[]): void => void out.push(...lines);

  push(
    '# Confer signaling protocol',
    '',
    '<!-- Generated by tools/protocol-doc/generate.ts from libs/signaling-contracts. Do not edit by hand:',
    '     run `nx run signaling-contracts:protocol-doc`. CI fails when this file is out of date. -->',
    '',
    `Protocol version: **${r.constValue('envelope.ts', 'PROTOCOL_VERSION')}** · WebSocket path: **${r.constValue('envelope.ts', 'SIGNALING_PATH').replace(/'/g, '')}** · JSON text frames.`,
    '',
    '## Envelope',
    '',
  );
  for (const name of ['RequestMessage', 'SuccessResponseMessage', 'ErrorResponseMessage', 'NotificationMessage']) {
    const decl = r.declaration('envelope.ts', name) as ts.InterfaceDeclaration;
    push(`### \`${name}\``, '', oneLine(r.doc(decl)), '', fieldTable(interfaceFields(r, 'envelope.ts', name)));
  }
  push('## Close codes', '', oneLine(r.doc(r.declaration('envelope.ts', 'CLOSE_CODES'))), '', '| name | code | meaning |', '|---|---|---|');
  for (const c of r.objectConstant('envelope.ts', 'CLOSE_CODES')) push(`| \`${c.name}\` | ${c.value} | ${cell(c.doc)} |`);
  push('');
  push(
    '## Message limits',
    '',
    `Checked before anything else reads a message, each answered with one error response: at most the server's \`limits.maxMessageBytes\` (\`limit_exceeded\`); ` +
      `objects and arrays nested at most ${MAX_JSON_DEPTH} levels, the envelope being level 1, and no key named ${[...RESERVED_KEYS].map((k) => `\`${k}\``).join(', ')} at any level (\`invalid_request\`); ` +
      'at most `limits.requestsPerSecond` requests per second per peer (`limit_exceeded`). Parameters with unknown fields are refused (`invalid_request`, `details.fields` names each bad field).',
    '',
  );
  push('## Error codes', '', 'Every error response carries `error: { code, reason, details? }` (`WireError`).', '');
  push(r.doc(r.declaration('errors.ts', 'ERROR_CODES')).trim(), '');
  push(`Every client request may also fail with the common codes: ${common.map((c) => `\`${c}\``).join(', ')}.`, '');

  const section = (title: string, anchor: string, direction: string, methods: Method[], withResult: boolean): void => {
    const id = (m: Method): string => `${anchor}-${m.name.toLowerCase()}`;
    push(`## ${title}`, '', direction, '');
    push(methods.map((m) => `[\`${m.name}\`](#${id(m)})`).join(' · '), '');
    for (const m of methods) {
      push(`<a id="${id(m)}"></a>`, `### \`${m.name}\``, '');
      if (m.doc) push(links(oneLine(m.doc)), '');
      push(withResult ? '**Params** (`data` of the request)' : '**Data**', '', fieldTable(m.params));
      if (withResult && m.result !== undefined) push('**Result** (`data` of the success response)', '', fieldTable(m.result));
      if (m.errors) push(`**Errors:** ${m.errors.length ? m.errors.map((e) => `\`${e}\``).join(', ') : 'none specific'}.`, '');
    }
  };
  section('Client requests', 'client', 'Direction: **client → server**, request/response. The first request on a socket must be `authenticate`.', r.methodSpecs('client-requests.ts', 'ClientRequests'), true);
  const claims = r.declaration('token-claims.ts', 'TokenClaims') as ts.InterfaceDeclaration;
  push('## Authentication token', '', links(oneLine(r.doc(claims))).replace('`TOKEN_CLOCK_SKEW_S`', r.constValue('token-claims.ts', 'TOKEN_CLOCK_SKEW_S')), '', fieldTable(interfaceFields(r, 'token-claims.ts', 'TokenClaims')));
  push('## Wire rules of media parameters', '');
  push(
    'The server checks every media object a client sends before mediasoup sees it, with the rules below (libs/signaling-contracts/src/lib/media-wire.ts): ' +
      "integers where mediasoup's worker schema has integers, its enums as closed sets, bounded strings and arrays. A value outside them is answered " +
      '`invalid_request` naming the field, e.g. `rtpParameters.encodings[0].maxBitrate must be an integer from 0 to 10000000000, got 1.5`.',
    '',
  );
  const wire: [string, WireRule][] = [
    ['produce: rtpParameters', RTP_PARAMETERS_WIRE as WireRule],
    ['join: rtpCapabilities', RTP_CAPABILITIES_WIRE as WireRule],
    ['connectWebRtcTransport: dtlsParameters', DTLS_PARAMETERS_WIRE as WireRule],
    ['produceData: sctpStreamParameters', SCTP_STREAM_PARAMETERS_WIRE as WireRule],
    ['createWebRtcTransport, join: sctpCapabilities', SCTP_CAPABILITIES_WIRE as WireRule],
  ];
  for (const [title, rule] of wire) {
    push(`### ${title}`, '', '| field | required | rule |', '|---|---|---|');
    for (const row of wireRows(rule, '')) push(`| \`${row.path}\` | ${row.required ? 'yes' : 'no'} | ${cell(row.rule)} |`);
    push('');
  }
  section('Server requests', 'server-request', 'Direction: **server → client**, request/response: the client must answer each (the server waits, with a timeout).', r.methodSpecs('server-messages.ts', 'ServerRequests'), true);
  section('Server notifications', 'notification', 'Direction: **server → client**, one-way; never answered.', r.payloadMap('server-messages.ts', 'ServerNotifications'), false);

  push('## Binary file frames', '', 'Binary WebSocket frames, both directions (libs/signaling-contracts/src/lib/file-frames.ts has the encoder and decoder).', '');
  push(links(r.doc(r.declaration('file-frames.ts', 'FILE_FRAME_KIND')).trim()), '');
  push('| constant | value | meaning |', '|---|---|---|');
  for (const name of ['FILE_FRAME_HEADER_BYTES', 'FILE_FRAME_CHUNK_BYTES', 'FILE_FRAME_MAX_BYTES', 'FILE_WINDOW_CHUNKS', 'FILE_FRAMES_PER_SECOND'] as const) {
    push(`| \`${name}\` | ${FileFrames[name]} | ${cell(r.doc(r.declaration('file-frames.ts', name)))} |`);
  }
  push('');

  push('## Shared types', '');
  for (const file of ['domain.ts', 'media-types.ts']) {
    for (const t of r.interfaces(file)) {
      push(`### \`${t.name}\``, '');
      if (t.doc) push(links(oneLine(t.doc)), '');
      if (t.text !== undefined) push('```ts', `type ${t.name} = ${t.text};`, '```', '');
      else push(fieldTable(t.fields));
    }
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

/** One table row per field of a wire rule, depth first (`codecs[].parameters`). */
function wireRows(rule: WireRule, at: string, required = true): { path: string; required: boolean; rule: string }[] {
  switch (rule.kind) {
    case 'object':
      return Object.entries(rule.fields).flatMap(([key, field]) => wireRows(field.rule, at ? `${at}.${key}` : key, !field.optional));
    case 'array': {
      const items = rule.items.kind === 'object' || rule.items.kind === 'array' ? wireRows(rule.items, `${at}[]`) : [];
      const itemRule = items.length ? '' : `, each ${describeRule(rule.items)}`;
      return [{ path: at, required, rule: `array of ${rule.minItems ?? 0} to ${rule.maxItems} items${itemRule}` }, ...items];
    }
    default:
      return [{ path: at, required, rule: describeRule(rule) }];
  }
}

function describeRule(rule: WireRule): string {
  switch (rule.kind) {
    case 'int':
      return `integer, ${rule.min} to ${rule.max}`;
    case 'number':
      return `number, ${rule.min} to ${rule.max}`;
    case 'boolean':
      return 'boolean';
    case 'string':
      if (rule.oneOf) return `one of ${rule.oneOf.map((v) => `\`${v}\``).join(', ')}`;
      return `string of ${rule.minLength ?? 0} to ${rule.maxLength} characters${rule.patternHint ? `: ${rule.patternHint}` : ''}`;
    case 'parameters':
      return `object of at most ${rule.maxKeys} entries, each a boolean, a finite number (integers within int32), a string of at most ${rule.maxStringLength} characters or an array of at most ${rule.maxArrayItems} int32 integers`;
    case 'jsonObject':
      return `JSON object of at most ${rule.maxKeys} keys`;
    case 'array':
      return `array of at most ${rule.maxItems} items`;
    case 'object':
      return 'object';
  }
}

function interfaceFields(r: ContractReader, file: string, name: string): Field[] | string {
  return r.interfaces(file).find((i) => i.name === name)?.fields ?? '(none)';
}

function main(): void {
  const check = process.argv.includes('--check');
  const doc = generateProtocolDoc();
  const rel = path.relative(ROOT, DOC_PATH);
  if (check) {
    let current: string;
    try {
      current = readFileSync(DOC_PATH, 'utf8');
    } catch {
      current = '';
    }
    if (current !== doc) {
      process.stderr.write(`${rel} is out of date with libs/signaling-contracts. Run: nx run signaling-contracts:protocol-doc\n`);
      process.exit(1);
    }
    process.stdout.write(`${rel} is up to date\n`);
    return;
  }
  mkdirSync(path.dirname(DOC_PATH), { recursive: true });
  writeFileSync(DOC_PATH, doc);
  process.stdout.write(`wrote ${rel}\n`);
}

if (require.main === module) main();
