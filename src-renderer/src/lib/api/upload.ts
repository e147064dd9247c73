/**
 * Browser mode's upload of one file: POST /upload/{batch}?path=REL with the bytes
 * (XMLHttpRequest, because fetch reports no upload progress). The cookie carries
 * the token; the reply is the contract's envelope.
 */
import { HTTP } from '$contract/channels';
import { AppError, type Envelope } from '$contract/envelope';

export interface Upload {
  done: Promise<void>;
  abort(): void;
}

export function uploadFile(batch: string, path: string, file: Blob, onprogress: (sent: number) => void): Upload {
  const xhr = new XMLHttpRequest();
  const done = new Promise<void>((resolve, reject) => {
    xhr.open('POST', `${HTTP.uploadPrefix}${encodeURIComponent(batch)}?path=${encodeURIComponent(path)}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onprogress(e.loaded);
    xhr.onload = () => {
      let reply: Envelope<unknown> | null = null;
      try {
        reply = JSON.parse(xhr.responseText) as Envelope<unknown>;
      } catch {
        // not an envelope: said below
      }
      if (reply?.ok) resolve();
      else if (reply) reject(new AppError(reply.error.code, reply.error.message));
      else reject(new AppError('unavailable', `The server answered ${xhr.status} to the upload of ${path}.`));
    };
    xhr.onerror = () =>
      reject(new AppError('unavailable', `The upload of ${path} was cut off. Is Grapheme Studio still running?`));
    xhr.onabort = () => reject(new AppError('cancelled', 'Cancelled.'));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}
