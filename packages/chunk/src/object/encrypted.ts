import { constants, createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { fsError, type ListOptions, type ObjectStorage, type PutOptions } from '@juicefs/core';
import { Gcm, GCM_NONCE_LENGTH, GCM_TAG_LENGTH } from './sm4-gcm.js';
import { sm2Decrypt, sm2Encrypt, sm2KeyFromPkcs8, type Sm2PrivateKey } from './sm2.js';

// Data encryption at rest (FORMAT.md 7.3): every object gets a fresh data key, wrapped with the
// volume's key — RSA-OAEP (SHA-256, label "keys") for an RSA key, SM2 encryption for an SM2 key —
// and is sealed with an AEAD:
//   u16 BE wrapped-key length | u8 nonce length | wrapped key | nonce | ciphertext ‖ 16-byte tag
// The layout is the same for all three algorithms; only the data key size and the AEAD differ.

export type EncryptAlgo = 'aes256gcm-rsa' | 'chacha20-rsa' | 'sm4gcm';

export interface EncryptionOptions {
  /** The PEM private key (`EncryptKey`, already decrypted from the format record). */
  privateKeyPem: string;
  /** For a passphrase-protected PEM (env `JFS_RSA_PASSPHRASE`). */
  passphrase?: string;
  /** `EncryptAlgo`; empty means aes256gcm-rsa. */
  algo?: string;
}

const LABEL = Buffer.from('keys');
const NONCE = GCM_NONCE_LENGTH; // 12 for all three: Go's NewGCM and chacha20poly1305 defaults
const TAG = GCM_TAG_LENGTH;

/** One AEAD with a fresh key per object; no associated data (JuiceFS passes nil). */
interface Aead {
  keyLength: number;
  seal(key: Buffer, nonce: Buffer, plain: Buffer): Buffer;
  /** Throws when the tag does not match. */
  open(key: Buffer, nonce: Buffer, body: Buffer): Buffer;
}

/** An AEAD that OpenSSL has whole, through Node's cipher API. */
function nodeAead(cipher: 'aes-256-gcm' | 'chacha20-poly1305'): Aead {
  return {
    keyLength: 32,
    seal(key, nonce, plain) {
      const c = cipher === 'aes-256-gcm'
        ? createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG })
        : createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
      return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    },
    open(key, nonce, body) {
      const d = cipher === 'aes-256-gcm'
        ? createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG })
        : createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
      d.setAuthTag(body.subarray(body.length - TAG));
      return Buffer.concat([d.update(body.subarray(0, body.length - TAG)), d.final()]);
    },
  };
}

/** SM4-GCM with a 16-byte key (JuiceFS 1.4 `sm4gcm`); built on OpenSSL's SM4 since Node has no sm4-gcm. */
const SM4_GCM: Aead = {
  keyLength: 16,
  seal: (key, nonce, plain) => new Gcm(key, 'sm4').seal(nonce, plain),
  open: (key, nonce, body) => new Gcm(key, 'sm4').open(nonce, body),
};

function aeadFor(algo: string | undefined): Aead {
  switch ((algo ?? '').toLowerCase()) {
    case '':
    case 'aes256gcm-rsa':
      return nodeAead('aes-256-gcm');
    case 'chacha20-rsa':
      return nodeAead('chacha20-poly1305');
    case 'sm4gcm':
      return SM4_GCM;
    default:
      throw fsError('EINVAL', `unknown encrypt algorithm "${algo}": use aes256gcm-rsa, chacha20-rsa or sm4gcm`);
  }
}

/** Wraps the per-object data key with the volume's key pair; which one depends on the key's type, not on the algorithm. */
interface KeyWrap {
  wrap(dataKey: Buffer): Buffer;
  unwrap(wrapped: Buffer): Buffer;
}

/** RSA-OAEP with SHA-256 and the label "keys"; the wrapped key is as long as the modulus. */
function rsaWrap(priv: KeyObject): KeyWrap {
  const pub = createPublicKey(priv);
  const opts = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: LABEL };
  return {
    wrap: (dataKey) => publicEncrypt({ key: pub, ...opts }, dataKey),
    unwrap: (wrapped) => privateDecrypt({ key: priv, ...opts }, wrapped),
  };
}

/** SM2 public-key encryption in ASN.1 form (gmsm's EncryptASN1), written out in sm2.ts because Node's OpenSSL API refuses SM2 keys here. */
function sm2Wrap(key: Sm2PrivateKey): KeyWrap {
  return {
    wrap: (dataKey) => sm2Encrypt(key.pub, dataKey),
    unwrap: (wrapped) => sm2Decrypt(key, wrapped),
  };
}

function keyWrapFor(priv: KeyObject): KeyWrap {
  if (priv.asymmetricKeyType === 'rsa') return rsaWrap(priv);
  // Node reports an SM2 key's type as undefined (or "ec"); its PKCS#8 names the curve.
  let sm2: Sm2PrivateKey | undefined;
  try {
    sm2 = sm2KeyFromPkcs8(priv.export({ type: 'pkcs8', format: 'der' }));
  } catch (err) {
    throw fsError('EINVAL', `cannot use the encryption key: ${(err as Error).message}`, err);
  }
  if (sm2) return sm2Wrap(sm2);
  throw fsError('EINVAL', `encryption keys of type ${priv.asymmetricKeyType ?? 'unknown'} are not supported (RSA or SM2 only)`);
}

/** Seals and opens single objects with the volume's key. */
export class ObjectCipher {
  private readonly keys: KeyWrap;
  private readonly aead: Aead;

  constructor(o: EncryptionOptions) {
    this.aead = aeadFor(o.algo);
    let priv: KeyObject;
    try {
      priv = createPrivateKey(o.passphrase === undefined ? { key: o.privateKeyPem } : { key: o.privateKeyPem, passphrase: o.passphrase });
    } catch (err) {
      throw fsError('EINVAL', 'cannot load the encryption key: check the PEM and JFS_RSA_PASSPHRASE', err);
    }
    this.keys = keyWrapFor(priv);
  }

  seal(plain: Buffer): Buffer {
    const key = randomBytes(this.aead.keyLength);
    const nonce = randomBytes(NONCE);
    const wrapped = this.keys.wrap(key);
    const body = this.aead.seal(key, nonce, plain);
    const head = Buffer.alloc(3);
    head.writeUInt16BE(wrapped.length, 0);
    head[2] = NONCE;
    return Buffer.concat([head, wrapped, nonce, body]);
  }

  open(sealed: Buffer, what: string): Buffer {
    if (sealed.length < 3) throw fsError('EIO', `${what}: encrypted object too short`);
    const keyLen = sealed.readUInt16BE(0);
    const nonceLen = sealed[2] ?? 0;
    const start = 3 + keyLen + nonceLen;
    if (start + TAG > sealed.length) throw fsError('EIO', `${what}: malformed encrypted object (${keyLen}, ${nonceLen})`);
    try {
      const key = this.keys.unwrap(sealed.subarray(3, 3 + keyLen));
      if (key.length !== this.aead.keyLength) throw new Error(`data key of ${key.length} bytes, the algorithm needs ${this.aead.keyLength}`);
      return this.aead.open(key, sealed.subarray(3 + keyLen, start), sealed.subarray(start));
    } catch (err) {
      throw fsError('EIO', `${what}: cannot decrypt (wrong key, or the object is damaged)`, err);
    }
  }
}

/**
 * The encrypted view of a storage. Ranged gets fetch and open the whole object, then slice, since
 * sealed objects cannot be read in parts; listed and headed sizes are those of the sealed objects.
 */
export function withEncryption(inner: ObjectStorage, options: EncryptionOptions): ObjectStorage {
  const cipher = new ObjectCipher(options);
  return {
    description: `${inner.description}(encrypted)`,
    create: () => inner.create(),
    get: async (key: string, offset = 0, limit = -1) => {
      const plain = cipher.open(await inner.get(key), key);
      const start = Math.min(offset, plain.length);
      const end = limit < 0 ? plain.length : Math.min(plain.length, start + limit);
      return plain.subarray(start, end);
    },
    put: (key: string, data: Buffer, o?: PutOptions) => inner.put(key, cipher.seal(data), o),
    delete: (key: string) => inner.delete(key),
    ...(inner.restore ? { restore: (key: string) => inner.restore!(key) } : {}),
    head: (key: string) => inner.head(key),
    list: (prefix: string, opts?: ListOptions) => inner.list(prefix, opts),
  };
}
