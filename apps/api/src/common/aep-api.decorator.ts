import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiSecurity, ApiTags } from '@nestjs/swagger';

/** OpenAPI of a controller behind the AEP gateway: its tag, the token, the key and the two headers. */
export function AepApi(tag: string): ClassDecorator {
  return applyDecorators(
    ApiTags(tag),
    ApiBearerAuth(),
    ApiSecurity('api-key'),
    ApiHeader({ name: 'x-gw-ims-org-id', required: true }),
    ApiHeader({ name: 'x-sandbox-name', required: true }),
  );
}
