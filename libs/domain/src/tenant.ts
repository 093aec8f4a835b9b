/** Every stored thing belongs to exactly one org and sandbox; repositories take this on every call. */
export interface TenantScope {
  orgId: string;
  sandboxName: string;
}

/** The authenticated caller of an API request. */
export interface Caller extends TenantScope {
  clientId: string;
}
