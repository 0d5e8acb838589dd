import type { Request, Response } from 'express';
import type { Identity } from '../auth/identity';
import { limitedBody, parseSize, UPLOAD_TYPES, uploadFormat } from '../http/body-stream';
import { ADAPTER_QUERY, ITEMS_SCHEMA, OBJECT_SCHEMA } from '../http/openapi';
import { problems } from '../http/problem';
import { guards, type RouteSpec } from '../http/routes';
import type { DatasetService } from './service';
import type { UploadMode } from './types';

const identityOf = (res: Response): Identity => res.locals.identity as Identity;

function datasetIdOf(req: Request): string {
  const id = String(req.params.datasetId);
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(id)) throw problems.notFound('No such dataset.');
  return id;
}

function query(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' && value ? value : undefined;
}

export function datasetRoutes(service: DatasetService, uploadLimit: string): RouteSpec[] {
  const maxBytes = parseSize(uploadLimit);
  return [
    {
      method: 'put',
      path: '/datasets/:datasetId/records',
      guard: guards.anyOf('datasets:write'),
      doc: {
        summary: 'Upload a shared dataset in the partner’s own format, mapped by its adapter',
        upload: UPLOAD_TYPES,
        query: { ...ADAPTER_QUERY, mode: { enum: ['replace', 'upsert'] } },
        requiredQuery: ['adapter'],
        responses: {
          200: {
            description: 'Counts of rows mapped and quarantined, and the quarantine.',
            schema: OBJECT_SCHEMA,
          },
          409: { description: 'Another upload of this dataset is under way; try again after Retry-After.' },
          422: { description: 'A replace refused: the file broke off, or no row of it could be mapped.' },
        },
      },
      body: 'stream',
      handler: async (req, res) => {
        const adapter = query(req, 'adapter');
        if (!adapter) throw problems.badRequest('Name the adapter: ?adapter=<id>.');
        const mode = (query(req, 'mode') ?? 'replace') as UploadMode;
        if (mode !== 'replace' && mode !== 'upsert') throw problems.badRequest('mode is replace or upsert.');
        const format = uploadFormat(req);
        const upload = await service.upload(
          identityOf(res),
          datasetIdOf(req),
          adapter,
          format,
          mode,
          limitedBody(req, maxBytes),
        );
        res.json(upload);
      },
    },
    {
      method: 'get',
      path: '/datasets',
      guard: guards.anyOf('datasets:write'),
      doc: {
        summary: 'The partner’s shared datasets',
        responses: { 200: { description: 'The datasets.', schema: ITEMS_SCHEMA } },
      },
      handler: async (_req, res) => void res.json({ items: await service.list(identityOf(res)) }),
    },
    {
      method: 'get',
      path: '/datasets/:datasetId',
      guard: guards.anyOf('datasets:write'),
      doc: {
        summary: 'One shared dataset’s state',
        responses: { 200: { description: 'The dataset.', schema: OBJECT_SCHEMA } },
      },
      handler: async (req, res) => {
        const datasetId = datasetIdOf(req);
        res.json({ datasetId, ...(await service.status(identityOf(res), datasetId)) });
      },
    },
  ];
}
