"""The incidents HTTP API: powertools routers shared by the Lambda and `sentinelle serve`."""
