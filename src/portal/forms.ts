/** Form bodies of the portal: urlencoded or multipart (uploads), read with a size limit after the guard. */
import type { Request } from 'express';
import busboy from 'busboy';
import { problems } from '../http/problem';
import { findIllFormed, NOT_WELL_FORMED, type IllFormed } from '../http/well-formed';

export interface FormData {
  /** By name; without a prototype, so a field named __proto__ or constructor is a field like any other. */
  fields: Record<string, string[]>;
  file?: { name: string; type: string; data: Buffer };
}

const FORM_LIMIT = 64 * 1024;

function readAll(req: Request, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(problems.tooLarge(`The form exceeds ${maxBytes} bytes.`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function readMultipart(req: Request, maxFileBytes: number): Promise<FormData> {
  return new Promise((resolve, reject) => {
    const form: FormData = { fields: noFields() };
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fields: 50, fieldSize: FORM_LIMIT, fileSize: maxFileBytes },
      });
    } catch {
      reject(problems.badRequest('The form could not be read.'));
      return;
    }
    parser.on('field', (name: string, value: string) => void (form.fields[name] ??= []).push(value));
    parser.on('file', (_name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => reject(problems.tooLarge(`The file exceeds ${maxFileBytes} bytes.`)));
      stream.on('end', () => {
        form.file = { name: info.filename ?? '', type: info.mimeType ?? '', data: Buffer.concat(chunks) };
      });
    });
    parser.on('error', () => reject(problems.badRequest('The form could not be read.')));
    parser.on('close', () => resolve(form));
    req.pipe(parser);
  });
}

export async function readForm(req: Request, maxFileBytes: number): Promise<FormData> {
  return wellFormed(await readFormAsSent(req, maxFileBytes));
}

/**
 * The form, unless a field holds text that is not well-formed (a multipart part may name its charset,
 * and UTF-16 can carry a lone surrogate): a 400 naming the field, for the store could not keep it.
 */
function wellFormed(form: FormData): FormData {
  const field = findIllFormed(form.fields);
  // A field's values are one field to whoever fills in the form: named without the value's index.
  if (field) throw formProblem({ ...field, pointer: field.pointer.replace(/\/\d+$/, '') });
  const file = form.file && findIllFormed([form.file.name, form.file.type]);
  if (file) throw formProblem({ pointer: '/file', detail: `name or type ${NOT_WELL_FORMED}` });
  return form;
}

const formProblem = (error: IllFormed) => problems.badRequest('The form is invalid.', { errors: [error] });

async function readFormAsSent(req: Request, maxFileBytes: number): Promise<FormData> {
  const type = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'multipart/form-data') return readMultipart(req, maxFileBytes);
  if (type !== 'application/x-www-form-urlencoded' && type !== '') {
    throw problems.unsupportedMedia('Forms are sent urlencoded or as multipart.');
  }
  const body = (await readAll(req, FORM_LIMIT)).toString('utf8');
  const fields = noFields();
  for (const [name, value] of new URLSearchParams(body)) (fields[name] ??= []).push(value);
  return { fields };
}

/** An empty set of fields (a prototype's members are not fields). */
export const noFields = (): FormData['fields'] => Object.create(null) as FormData['fields'];

const values = (form: FormData, name: string): string[] =>
  Object.hasOwn(form.fields, name) ? form.fields[name] : [];

export const one = (form: FormData, name: string): string => (values(form, name)[0] ?? '').trim();
export const all = (form: FormData, name: string): string[] =>
  values(form, name)
    .map((v) => v.trim())
    .filter(Boolean);
