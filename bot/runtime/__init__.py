"""The running bot: dispatcher, delivery worker, scheduler, HTTP server."""
