import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, ConfigModule } from '@sx/config';
import { PersistenceModule } from '@sx/persistence';

@Module({})
export class CliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: CliModule, imports: [ConfigModule.forRoot(config), PersistenceModule] };
  }
}
