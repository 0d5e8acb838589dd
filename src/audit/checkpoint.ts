/**
 * Signed checkpoints: the gateway's Ed25519 key, signing a tree head, and checking a checkpoint with
 * nothing but the public key. The signed bytes are the RFC 8785 canonical JSON of the statement
 * (every field but the signature), so a checkpoint can travel as plain JSON and still verify.
 *
 * The key is made on first start as `dataDir/keys/checkpoint.key` (PKCS#8 PEM, mode 0600); its public
 * half is written next to it as `checkpoint.pub.pem` for partners to pin.
 */
import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson, isHash } from './chain';
import { subtreeRoot, toHex, type NodeSource } from './merkle';
import type { Checkpoint, CheckpointStatement, TreeHead } from './types';

export const CHECKPOINT_TYPE = 'fsg.checkpoint/v1';
export const STATEMENT_FIELDS = ['type', 'treeSize', 'rootHash', 'headHash', 'timestamp', 'keyId'] as const;
const CHECKPOINT_FIELDS = [...STATEMENT_FIELDS, 'signature'].sort();
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const SIGNATURE_HEX = /^[0-9a-f]{128}$/;

export interface CheckpointSigner {
  keyId: string;
  publicKey: KeyObject;
  publicKeyPem: string;
  sign(head: TreeHead, timestamp: string): Checkpoint;
}

export interface CheckpointKeyFiles {
  privateKeyFile: string;
  publicKeyFile: string;
}

export function checkpointKeyFiles(dataDir: string): CheckpointKeyFiles {
  const dir = path.join(dataDir, 'keys');
  return {
    privateKeyFile: path.join(dir, 'checkpoint.key'),
    publicKeyFile: path.join(dir, 'checkpoint.pub.pem'),
  };
}

/** sha256 (hex) of the key's SubjectPublicKeyInfo DER: names the key in every checkpoint. */
export function keyIdOf(publicKey: KeyObject): string {
  return crypto
    .createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** Loads the signing key, making it (and the public key file) on first start. */
export function loadOrCreateCheckpointKey(dataDir: string): CheckpointSigner {
  const files = checkpointKeyFiles(dataDir);
  fs.mkdirSync(path.dirname(files.privateKeyFile), { recursive: true, mode: 0o700 });
  try {
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    fs.writeFileSync(files.privateKeyFile, pem, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let privateKey: KeyObject;
  try {
    privateKey = crypto.createPrivateKey(fs.readFileSync(files.privateKeyFile, 'utf8'));
  } catch {
    throw new Error(`${files.privateKeyFile}: not a PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${files.privateKeyFile}: the checkpoint key must be Ed25519`);
  }
  const signer = createSigner(privateKey);
  // The public file is derived: (re)written whenever it is missing or does not match the key.
  let current = '';
  try {
    current = fs.readFileSync(files.publicKeyFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (current !== signer.publicKeyPem)
    fs.writeFileSync(files.publicKeyFile, signer.publicKeyPem, { mode: 0o644 });
  return signer;
}

export function createSigner(privateKey: KeyObject): CheckpointSigner {
  const publicKey = crypto.createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  return {
    keyId,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    sign(head, timestamp) {
      const statement: CheckpointStatement = {
        type: CHECKPOINT_TYPE,
        treeSize: head.treeSize,
        rootHash: head.rootHash,
        headHash: head.headHash,
        timestamp,
        keyId,
      };
      const signature = crypto.sign(null, statementBytes(statement), privateKey).toString('hex');
      return { ...statement, signature };
    },
  };
}

/** An Ed25519 public key from PEM text (SPKI), refusing any other kind of key. */
export function readPublicKey(pem: string, source = 'public key'): KeyObject {
  let key: KeyObject;
  try {
    key = crypto.createPublicKey(pem);
  } catch {
    throw new Error(`${source}: not a PEM public key`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${source}: not an Ed25519 key`);
  return key;
}

/** The Ed25519 public key in a PEM file (readPublicKey), the file named when it cannot be read. */
export function readPublicKeyFile(file: string): KeyObject {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file}: cannot be read`);
  }
  return readPublicKey(pem, file);
}

/** The bytes a checkpoint's signature covers. */
export function statementBytes(statement: CheckpointStatement): Buffer {
  const picked: Record<string, unknown> = {};
  for (const field of STATEMENT_FIELDS) picked[field] = statement[field];
  return Buffer.from(canonicalJson(picked), 'utf8');
}

export type CheckpointCheck = { ok: true; checkpoint: Checkpoint } | { ok: false; problem: string };

/**
 * Checks a checkpoint strictly: exactly the expected fields, each well-formed, and, when a key is
 * given, signed by that key. Without a key only the form is checked.
 */
export function checkCheckpoint(value: unknown, publicKey?: KeyObject): CheckpointCheck {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, problem: 'a checkpoint must be a JSON object' };
  }
  const c = value as Record<string, unknown>;
  const keys = Object.keys(c).sort();
  if (keys.length !== CHECKPOINT_FIELDS.length || keys.some((k, i) => k !== CHECKPOINT_FIELDS[i])) {
    return { ok: false, problem: `checkpoint fields are [${keys.join(', ')}]` };
  }
  const wrong = [
    ['type', c.type === CHECKPOINT_TYPE],
    ['treeSize', Number.isSafeInteger(c.treeSize) && (c.treeSize as number) >= 1],
    ['rootHash', isHash(c.rootHash)],
    ['headHash', isHash(c.headHash)],
    ['timestamp', typeof c.timestamp === 'string' && ISO_UTC.test(c.timestamp)],
    ['keyId', isHash(c.keyId)],
    ['signature', typeof c.signature === 'string' && SIGNATURE_HEX.test(c.signature)],
  ]
    .filter(([, ok]) => !ok)
    .map(([name]) => name);
  if (wrong.length > 0) return { ok: false, problem: `checkpoint has ill-formed ${wrong.join(', ')}` };
  const checkpoint = c as unknown as Checkpoint;
  if (publicKey) {
    if (checkpoint.keyId !== keyIdOf(publicKey)) {
      return { ok: false, problem: `checkpoint was signed by key ${checkpoint.keyId}, not the given key` };
    }
    const good = crypto.verify(
      null,
      statementBytes(checkpoint),
      publicKey,
      Buffer.from(checkpoint.signature, 'hex'),
    );
    if (!good) return { ok: false, problem: `checkpoint of size ${checkpoint.treeSize}: bad signature` };
  }
  return { ok: true, checkpoint };
}

/** What a store signs: the current tree head, or the newest checkpoint when it covers the head already. */
export type ToSign = { head: TreeHead } | { covered: Checkpoint | undefined };

/**
 * The rule of every store's checkpoint, read inside the transaction that stores it (so no append comes
 * between the root and its signature): nothing new to sign when the newest checkpoint covers the log's
 * last entry (or the log is empty); else the head of the whole log, its root from the stored nodes.
 */
export function toSign(
  last: { seq: number; hash: string } | undefined,
  latest: Checkpoint | undefined,
  nodes: NodeSource,
): ToSign {
  if (!last) return { covered: undefined };
  if (latest && latest.treeSize >= last.seq) return { covered: latest };
  return {
    head: { treeSize: last.seq, rootHash: toHex(subtreeRoot(nodes, 0, last.seq)), headHash: last.hash },
  };
}

/** A signed checkpoint must state the head it was asked to sign, exactly; else nothing is stored. */
export function assertSignedHead(checkpoint: Checkpoint, head: TreeHead): void {
  if (
    checkpoint.treeSize !== head.treeSize ||
    checkpoint.rootHash !== head.rootHash ||
    checkpoint.headHash !== head.headHash
  ) {
    throw new Error('the signed checkpoint does not match the tree head');
  }
}

/**
 * The tree size a stored checkpoint claims, unchecked (0 when there is none or it is unreadable): where
 * a tail check starts reading. The checkpoint itself is checked by the verifier; a forged claim fails.
 */
export function claimedTreeSize(text: string | undefined): number {
  try {
    const size = (JSON.parse(text ?? 'null') as { treeSize?: unknown } | null)?.treeSize;
    return Number.isSafeInteger(size) && (size as number) > 0 ? (size as number) : 0;
  } catch {
    return 0;
  }
}
