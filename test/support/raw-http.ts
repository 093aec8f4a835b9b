import { connect } from 'node:net';

export interface RawResponse {
  /** Status of the first response line (0 when none arrived in time). */
  status: number;
  /** Milliseconds from sending to the first response byte (Infinity when none arrived). */
  firstByteMs: number;
  /** The response body (everything after the headers), as text. */
  body: string;
  /** Whether the server closed the connection before the deadline. */
  closedByServer: boolean;
}

/**
 * Sends raw HTTP text over TCP and collects what comes back until the server closes or the
 * deadline passes. Raw, because an HTTP client would not send a Content-Length it then breaks.
 */
export function rawHttp(port: number, text: string, deadlineMs = 1000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: '127.0.0.1', port });
    let received = '';
    let firstByteMs = Infinity;
    let closedByServer = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const [head, ...rest] = received.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, firstByteMs, body: rest.join('\r\n\r\n'), closedByServer });
    };
    const timer = setTimeout(finish, deadlineMs);
    socket.on('connect', () => socket.write(text));
    socket.on('data', (chunk) => {
      if (firstByteMs === Infinity) firstByteMs = Date.now() - started;
      received += chunk.toString('utf8');
    });
    socket.on('end', () => {
      closedByServer = true;
      finish();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (received ? finish() : reject(e)));
  });
}
