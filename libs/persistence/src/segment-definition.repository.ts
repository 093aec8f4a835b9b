import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

/** Segment definitions of one tenant. */
@Injectable()
export class SegmentDefinitionRepository {
  constructor(private readonly prisma: PrismaService) {}
}
