export interface ApiClient {
  clientId: string;
  orgId: string;
  sandboxes: string[];
  createdAt: Date;
}

/** An ApiClient with the stored secret hash; only the token exchange needs it. */
export interface ApiClientWithSecret extends ApiClient {
  secretHash: string;
}
