import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Queue } from 'bullmq';

export const BULL_BOARD_PATH = '/admin/queues';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** HTTP Basic authentication with the one admin credential from configuration. */
export function basicAuth(user: string, password: string): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const match = /^Basic\s+(\S+)$/i.exec(req.header('authorization') ?? '');
    const [givenUser, ...rest] = match ? Buffer.from(match[1], 'base64').toString('utf8').split(':') : [];
    if (givenUser !== undefined && same(givenUser, user) && same(rest.join(':'), password)) return next();
    res.setHeader('WWW-Authenticate', 'Basic realm="queues", charset="UTF-8"');
    res.status(401).json({ error_code: '401013', message: 'Admin credentials are required' });
  };
}

/** Bull Board's router for the given queues, mounted by the caller behind basicAuth. */
export function bullBoardRouter(queues: Queue[]): RequestHandler {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: false })), serverAdapter });
  return serverAdapter.getRouter() as RequestHandler;
}
