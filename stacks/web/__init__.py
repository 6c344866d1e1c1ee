"""The browser chat's stacks: hosting (bucket + distribution), login (Cognito domain + web client), content."""
