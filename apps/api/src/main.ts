import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { X } from '@sx/config';
import { PrismaClient } from '../../../libs/persistence/src/generated/prisma/client';
import { PrismaPg } from '@prisma/adapter-pg';

@Controller()
class C { @Get('x') x() { return { x: X }; } }
@Module({ controllers: [C] })
class M {}
async function main() {
  const p = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }) });
  console.log(await p.exportJob.count());
  const app = await NestFactory.create(M);
  await app.listen(3999);
  console.log('up');
  await app.close(); await p.$disconnect();
}
main();
