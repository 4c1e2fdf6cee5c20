import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { SERVER_VERSION } from '../app/version';

/** Where the server API document is served (JSON), and its interactive page. */
export const OPENAPI_JSON_PATH = 'api/openapi.json';
export const OPENAPI_UI_PATH = 'api/docs';

/** The server API's OpenAPI document, generated from the controllers and DTOs (only the `/api/v1` routes). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Confer server API')
    .setDescription(
      'Control Confer from your portal: rooms and their policy, participants, moderation, messages, meeting history, audit trail and webhook deliveries. ' +
        'Authenticate with `Authorization: Bearer <JWT>`: HS256-signed with the secret of one of API_KEYS, `iss` = the key, `iat` and `exp` (at most 1 hour apart). ' +
        'Errors are `{ statusCode, code, reason, details? }` with the signaling protocol\'s error codes.',
    )
    .setVersion(SERVER_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, config, { operationIdFactory: (controller, method) => `${controller.replace(/ApiController$/, '')}_${method}` });
  // Only the server API belongs in this document (health, metrics and dev routes are documented in the README).
  document.paths = Object.fromEntries(Object.entries(document.paths).filter(([p]) => p.startsWith('/api/v1/')));
  return document;
}

/** Serves the document at {@link OPENAPI_JSON_PATH} and Swagger UI at {@link OPENAPI_UI_PATH}. */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup(OPENAPI_UI_PATH, app, () => buildOpenApiDocument(app), { jsonDocumentUrl: OPENAPI_JSON_PATH, raw: ['json'] });
}
