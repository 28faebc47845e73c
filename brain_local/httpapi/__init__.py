"""The HTTP API offline (API Gateway v2): routes, the JWT authorizer, the Lambda proxy integration
(:mod:`.service`)."""
