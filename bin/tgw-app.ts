#!/usr/bin/env node
// Centralized inspection example: `npx cdk synth --app "npx ts-node --transpile-only --prefer-ts-exts bin/tgw-app.ts"`
import { App } from 'aws-cdk-lib';
import { createTgwExampleApp } from './tgw-example-stacks';

createTgwExampleApp(new App());
