import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

/** Merge policies of one tenant (plus the built-in default every sandbox has). */
@Injectable()
export class MergePolicyRepository {
  constructor(private readonly prisma: PrismaService) {}
}
