"""What tests and bench share: the recording Bot session, fake Bot API servers, test images, the
visit walk and the shared worlds (people, harness) of the bot tests."""
