-- A job store written by powerbridge 0.1.0 (schema v1): `deploy apply web.pipe` to the end, then
-- `deploy apply half.pipe --parallel 1` SIGKILLed mid-run, against an emulator; `sqlite3 .dump`.
BEGIN TRANSACTION;
CREATE TABLE job_events (
	seq INTEGER NOT NULL, 
	job_id INTEGER NOT NULL, 
	at VARCHAR(40) NOT NULL, 
	kind VARCHAR(32), 
	name VARCHAR(255), 
	message TEXT NOT NULL, 
	PRIMARY KEY (seq), 
	FOREIGN KEY(job_id) REFERENCES jobs (id)
);
INSERT INTO "job_events" VALUES(1,1,'2026-12-03T17:52:30.154010+00:00','volume','web1-web1-1','web1-web1-1: creating (1 GB on svc82 base template, attached to web1)');
INSERT INTO "job_events" VALUES(2,1,'2026-12-03T17:52:30.154209+00:00','volume','web2-web2-1','web2-web2-1: creating (1 GB on svc82 base template, attached to web2)');
INSERT INTO "job_events" VALUES(3,1,'2026-12-03T17:52:30.461785+00:00','volume','web1-web1-1','web1-web1-1: available');
INSERT INTO "job_events" VALUES(4,1,'2026-12-03T17:52:30.461897+00:00','volume','web2-web2-1','web2-web2-1: available');
INSERT INTO "job_events" VALUES(5,1,'2026-12-03T17:52:30.468680+00:00','server','web1','web1: deploying (powervm.tiny; AIX72; cmbnet1; volumes web1-web1-1)');
INSERT INTO "job_events" VALUES(6,1,'2026-12-03T17:52:30.468809+00:00','server','web2','web2: deploying (powervm.tiny; AIX72; cmbnet1; volumes web2-web2-1)');
INSERT INTO "job_events" VALUES(7,1,'2026-12-03T17:52:30.660802+00:00','server','web2','web2: scheduling');
INSERT INTO "job_events" VALUES(8,1,'2026-12-03T17:52:30.660978+00:00','server','web1','web1: scheduling');
INSERT INTO "job_events" VALUES(9,1,'2026-12-03T17:52:30.786995+00:00','server','web2','web2: block_device_mapping');
INSERT INTO "job_events" VALUES(10,1,'2026-12-03T17:52:30.787120+00:00','server','web1','web1: block_device_mapping');
INSERT INTO "job_events" VALUES(11,1,'2026-12-03T17:52:31.141245+00:00','server','web2','web2: networking');
INSERT INTO "job_events" VALUES(12,1,'2026-12-03T17:52:31.141300+00:00','server','web1','web1: networking');
INSERT INTO "job_events" VALUES(13,1,'2026-12-03T17:52:31.269945+00:00','server','web2','web2: spawning');
INSERT INTO "job_events" VALUES(14,1,'2026-12-03T17:52:31.270054+00:00','server','web1','web1: spawning');
INSERT INTO "job_events" VALUES(15,1,'2026-12-03T17:52:31.884209+00:00','server','web2','web2: ACTIVE on 8286-42A_215A0BV 192.168.100.11');
INSERT INTO "job_events" VALUES(16,1,'2026-12-03T17:52:31.884319+00:00','server','web1','web1: ACTIVE on 9009-42A_7838F0W 192.168.100.10');
INSERT INTO "job_events" VALUES(17,2,'2026-12-03T17:52:35.414499+00:00','volume','half1-half1-1','half1-half1-1: creating (1 GB on svc82 base template, attached to half1)');
INSERT INTO "job_events" VALUES(18,2,'2026-12-03T17:52:35.418773+00:00','volume','half2-half2-1','half2-half2-1: creating (1 GB on svc82 base template, attached to half2)');
INSERT INTO "job_events" VALUES(19,2,'2026-12-03T17:52:35.418827+00:00','volume','half3-half3-1','half3-half3-1: creating (1 GB on svc82 base template, attached to half3)');
INSERT INTO "job_events" VALUES(20,2,'2026-12-03T17:52:35.418857+00:00','volume','half4-half4-1','half4-half4-1: creating (1 GB on svc82 base template, attached to half4)');
INSERT INTO "job_events" VALUES(21,2,'2026-12-03T17:52:35.748873+00:00','volume','half1-half1-1','half1-half1-1: available');
INSERT INTO "job_events" VALUES(22,2,'2026-12-03T17:52:35.748994+00:00','volume','half2-half2-1','half2-half2-1: available');
INSERT INTO "job_events" VALUES(23,2,'2026-12-03T17:52:35.753305+00:00','server','half1','half1: deploying (powervm.tiny; AIX72; cmbnet1; volumes half1-half1-1)');
INSERT INTO "job_events" VALUES(24,2,'2026-12-03T17:52:35.886965+00:00','server','half1','half1: scheduling');
CREATE TABLE job_items (
	job_id INTEGER NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	position INTEGER NOT NULL, 
	state VARCHAR(32) NOT NULL, 
	resource_id VARCHAR(64), 
	created_here BOOLEAN NOT NULL, 
	request_id VARCHAR(64), 
	fault TEXT, 
	details TEXT NOT NULL, 
	updated_at VARCHAR(40) NOT NULL, 
	PRIMARY KEY (job_id, kind, name), 
	FOREIGN KEY(job_id) REFERENCES jobs (id)
);
INSERT INTO "job_items" VALUES(1,'volume','web1-web1-1',0,'done','56a4ee07-0a39-4c2d-9571-23c4b14081d5',1,'req-5f337cca-48b6-4efb-8f60-03aa6348b24c',NULL,'{"status": "creating"}','2026-12-03T17:52:30.461879+00:00');
INSERT INTO "job_items" VALUES(1,'volume','web2-web2-1',1,'done','02dd3966-f9d9-4e71-b310-d746b1376d32',1,'req-89503078-1bb2-466d-9982-6ce637cd492e',NULL,'{"status": "creating"}','2026-12-03T17:52:30.461920+00:00');
INSERT INTO "job_items" VALUES(1,'server','web1',2,'done','ae7ce0d5-9a07-45ca-881b-e5f2bffd48d6',1,'req-2eba9875-a048-48d8-943d-a2000af7acce',NULL,'{"host": "9009-42A_7838F0W", "addresses": ["192.168.100.10"], "seconds": 1.29, "volumes": ["web1-web1-1"]}','2026-12-03T17:52:31.884305+00:00');
INSERT INTO "job_items" VALUES(1,'server','web2',3,'done','acf93c66-d31c-4b24-8aef-5a670e48c32a',1,'req-cedacd32-ea7f-4ac5-9162-58e4e630a200',NULL,'{"host": "8286-42A_215A0BV", "addresses": ["192.168.100.11"], "seconds": 1.29, "volumes": ["web2-web2-1"]}','2026-12-03T17:52:31.884174+00:00');
INSERT INTO "job_items" VALUES(2,'volume','half1-half1-1',0,'done','49e55659-206b-41cf-81ac-de68623e425e',1,'req-488db228-6f6e-46c0-a567-75cb32502ab0',NULL,'{"status": "creating"}','2026-12-03T17:52:35.748977+00:00');
INSERT INTO "job_items" VALUES(2,'volume','half2-half2-1',1,'done','c16f98a0-5497-439a-b527-4c183b94abbf',1,'req-251d1477-33df-4e2c-9b3c-da1b464fd540',NULL,'{"status": "creating"}','2026-12-03T17:52:35.749018+00:00');
INSERT INTO "job_items" VALUES(2,'volume','half3-half3-1',2,'building','340dd474-0b2d-4465-8f6c-4ce44c500c21',1,'req-ffa4dd81-97f4-47f0-afe4-65559aaa9972',NULL,'{"status": "creating"}','2026-12-03T17:52:35.842847+00:00');
INSERT INTO "job_items" VALUES(2,'volume','half4-half4-1',3,'creating',NULL,0,NULL,NULL,'{}','2026-12-03T17:52:35.418850+00:00');
INSERT INTO "job_items" VALUES(2,'server','half1',4,'building','0038da21-1f7e-4bad-81f4-5c7a94786339',1,'req-c491a5c0-908c-46b4-89a1-85982c7ad63c',NULL,'{"status": "BUILD", "volumes": ["half1-half1-1"]}','2026-12-03T17:52:35.785287+00:00');
INSERT INTO "job_items" VALUES(2,'server','half2',5,'pending',NULL,0,NULL,NULL,'{}','2026-12-03T17:52:35.408634+00:00');
INSERT INTO "job_items" VALUES(2,'server','half3',6,'pending',NULL,0,NULL,NULL,'{}','2026-12-03T17:52:35.408644+00:00');
INSERT INTO "job_items" VALUES(2,'server','half4',7,'pending',NULL,0,NULL,NULL,'{}','2026-12-03T17:52:35.408658+00:00');
CREATE TABLE jobs (
	id INTEGER NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	deployment VARCHAR(255) NOT NULL, 
	status VARCHAR(32) NOT NULL, 
	created_at VARCHAR(40) NOT NULL, 
	updated_at VARCHAR(40) NOT NULL, 
	pid INTEGER, 
	hostname VARCHAR(255), 
	source TEXT, 
	summary TEXT NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "jobs" VALUES(1,'apply','web','succeeded','2026-12-03T17:52:30.145445+00:00','2026-12-03T17:52:31.891799+00:00',8436,'vm','/tmp/jobs_v1/web.pipe','{"status": "succeeded", "seconds": 1.74, "counts": {"in-use": 2, "ACTIVE": 2}, "calls": {"create": 4, "delete": 0, "list": 25}}');
INSERT INTO "jobs" VALUES(2,'apply','half','running','2026-12-03T17:52:35.382437+00:00','2026-12-03T17:52:35.382437+00:00',8499,'vm','/tmp/jobs_v1/half.pipe','{"plan": {"create": 8, "unchanged": 0, "block": 0}}');
CREATE TABLE schema_version (
	version INTEGER NOT NULL
);
INSERT INTO "schema_version" VALUES(1);
CREATE INDEX ix_jobs_deployment ON jobs (deployment);
CREATE INDEX ix_job_events_job_id ON job_events (job_id);
COMMIT;
