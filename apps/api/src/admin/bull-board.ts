import { timingSafeEqual } from 'node:crypto';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { BullBoardModule } from '@bull-board/nestjs';
import type { DynamicModule } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { QueueName } from '@sx/queue';

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

/**
 * Bull Board through @bull-board/nestjs: every queue of the registry, behind the admin credential.
 * The queues are the ones QueueModule registers (resolved by name).
 */
export function bullBoardModules(): DynamicModule[] {
  return [
    BullBoardModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ route: BULL_BOARD_PATH, adapter: ExpressAdapter, middleware: basicAuth(config.ADMIN_USER, config.adminPassword) }),
    }),
    BullBoardModule.forFeature(...Object.values(QueueName).map((name) => ({ name, adapter: BullMQAdapter, options: { readOnlyMode: false } }))),
  ];
}
